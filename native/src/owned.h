// Owners of C handles and file descriptors: each frees what it holds when it goes,
// so a constructor that throws half way releases what it had already allocated.
#pragma once

namespace gq {

// Owns one C handle: frees it with Free when destroyed. Converts to the raw handle.
template <typename T, void (*Free)(T)>
class Owned {
 public:
  Owned() = default;
  Owned(const Owned &) = delete;
  Owned &operator=(const Owned &) = delete;
  ~Owned() {
    if (p_) Free(p_);
  }
  operator T() const { return p_; }
  T *out() { return &p_; }  // for C functions that allocate into a T*

 private:
  T p_ = nullptr;
};

// A file descriptor closed when its owner goes.
struct OwnedFd {
  OwnedFd() = default;
  OwnedFd(const OwnedFd &) = delete;
  OwnedFd &operator=(const OwnedFd &) = delete;
  ~OwnedFd();
  int fd = -1;
};

}  // namespace gq
