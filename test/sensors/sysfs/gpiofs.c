/*
 * gpiofs: a tiny FUSE file system that behaves like the kernel's /sys/class/gpio
 * for tests of the real onoff code, including what a tmpfs cannot do:
 *   - export/unexport are synchronous and fail like the kernel: EINVAL for a number
 *     outside every gpiochip's [base, base+ngpio), EBUSY for a line that is held
 *     (GPIOFS_BUSY) or already exported;
 *   - value is pollable: after an edge that matches `edge`, poll() reports
 *     POLLPRI|POLLERR until the value is read again (sysfs_notify semantics), so
 *     onoff's watch() (epoll EPOLLPRI) gets interrupts;
 *   - value reads the logical level (physical XOR active_low); outputs accept writes;
 *     direction "high"/"low" set the raw level.
 * The test drives input pins by writing "N LEVEL" (sysfs number, physical level) to
 * /.ctl (also before export), and reads every request from /.journal.
 * Chips: GPIOFS_CHIPS="label:base:ngpio;..."; held lines (EBUSY): GPIOFS_BUSY="n,n";
 * numbers the kernel refuses (EINVAL) although inside a chip: GPIOFS_REFUSE="n,n".
 * Build: gcc -O1 -o gpiofs gpiofs.c $(pkg-config --cflags --libs fuse3)
 * Run:   gpiofs MOUNTPOINT -f -s
 */
#define FUSE_USE_VERSION 31
#include <fuse.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXCHIPS 8
#define MAXLINES 64
#define JOURNAL_MAX 65536

struct chip { char label[64]; int base, ngpio; };
struct line {
  int used, num, out, phys, active_low, pending;
  char edge[8];
  struct fuse_pollhandle *ph;
};

static struct chip chips[MAXCHIPS];
static int nchips;
static int busy[MAXLINES], nbusy;
static int refuse[MAXLINES], nrefuse;
/* Physical levels of lines driven before they are exported (a pin has a level either way). */
static int preset_num[MAXLINES], preset_val[MAXLINES], npreset;
static struct line lines[MAXLINES];
static char journal[JOURNAL_MAX];
static size_t jlen;

static void note(const char *fmt, ...) {
  char tmp[160];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0 && jlen + (size_t)n < JOURNAL_MAX) { memcpy(journal + jlen, tmp, (size_t)n); jlen += (size_t)n; }
}

static struct line *find(int num) {
  for (int i = 0; i < MAXLINES; i++) if (lines[i].used && lines[i].num == num) return &lines[i];
  return NULL;
}

static int logical(struct line *l) { return l->phys ^ l->active_low; }

/* Sets a pin's physical level; signals pollers when the logical change matches edge. */
static void set_phys(struct line *l, int phys) {
  if (l->phys == phys) return;
  l->phys = phys;
  int v = logical(l);
  int fire = !strcmp(l->edge, "both") || (!strcmp(l->edge, "rising") && v) || (!strcmp(l->edge, "falling") && !v);
  if (!l->out && fire) {
    l->pending = 1;
    if (l->ph) fuse_notify_poll(l->ph);
  }
}

/* Path kinds. */
enum { K_NONE, K_ROOT, K_EXPORT, K_UNEXPORT, K_CTL, K_JOURNAL, K_CHIPDIR, K_CHIPATTR, K_LINEDIR, K_LINEATTR };

static int classify(const char *path, int *num, char *attr) {
  attr[0] = 0;
  if (!strcmp(path, "/")) return K_ROOT;
  if (!strcmp(path, "/export")) return K_EXPORT;
  if (!strcmp(path, "/unexport")) return K_UNEXPORT;
  if (!strcmp(path, "/.ctl")) return K_CTL;
  if (!strcmp(path, "/.journal")) return K_JOURNAL;
  char rest[64] = "";
  if (sscanf(path, "/gpiochip%d%63s", num, rest) >= 1) {
    int ok = 0;
    for (int i = 0; i < nchips; i++) if (chips[i].base == *num) ok = 1;
    if (!ok) return K_NONE;
    if (!rest[0]) return K_CHIPDIR;
    if (!strcmp(rest, "/label") || !strcmp(rest, "/base") || !strcmp(rest, "/ngpio")) { strcpy(attr, rest + 1); return K_CHIPATTR; }
    return K_NONE;
  }
  if (sscanf(path, "/gpio%d%63s", num, rest) >= 1) {
    if (!find(*num)) return K_NONE;
    if (!rest[0]) return K_LINEDIR;
    if (!strcmp(rest, "/value") || !strcmp(rest, "/direction") || !strcmp(rest, "/edge") || !strcmp(rest, "/active_low")) { strcpy(attr, rest + 1); return K_LINEATTR; }
  }
  return K_NONE;
}

static int fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
  (void)fi;
  int num; char attr[16];
  memset(st, 0, sizeof *st);
  switch (classify(path, &num, attr)) {
  case K_ROOT: case K_CHIPDIR: case K_LINEDIR: st->st_mode = S_IFDIR | 0755; st->st_nlink = 2; return 0;
  case K_EXPORT: case K_UNEXPORT: case K_CTL: st->st_mode = S_IFREG | 0200; st->st_size = 4096; return 0;
  case K_JOURNAL: case K_CHIPATTR: st->st_mode = S_IFREG | 0444; st->st_size = 4096; return 0;
  case K_LINEATTR: st->st_mode = S_IFREG | 0644; st->st_size = 4096; return 0;
  default: return -ENOENT;
  }
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi, enum fuse_readdir_flags fl) {
  (void)off; (void)fi; (void)fl;
  int num; char attr[16], name[32];
  int k = classify(path, &num, attr);
  fill(buf, ".", NULL, 0, 0);
  fill(buf, "..", NULL, 0, 0);
  if (k == K_ROOT) {
    fill(buf, "export", NULL, 0, 0);
    fill(buf, "unexport", NULL, 0, 0);
    for (int i = 0; i < nchips; i++) { snprintf(name, sizeof name, "gpiochip%d", chips[i].base); fill(buf, name, NULL, 0, 0); }
    for (int i = 0; i < MAXLINES; i++) if (lines[i].used) { snprintf(name, sizeof name, "gpio%d", lines[i].num); fill(buf, name, NULL, 0, 0); }
    return 0;
  }
  if (k == K_CHIPDIR) { fill(buf, "label", NULL, 0, 0); fill(buf, "base", NULL, 0, 0); fill(buf, "ngpio", NULL, 0, 0); return 0; }
  if (k == K_LINEDIR) { fill(buf, "value", NULL, 0, 0); fill(buf, "direction", NULL, 0, 0); fill(buf, "edge", NULL, 0, 0); fill(buf, "active_low", NULL, 0, 0); return 0; }
  return -ENOTDIR;
}

static int fs_open(const char *path, struct fuse_file_info *fi) {
  int num; char attr[16];
  if (classify(path, &num, attr) == K_NONE) return -ENOENT;
  fi->direct_io = 1; /* every read goes to us: no stale page cache */
  fi->nonseekable = 0;
  return 0;
}

static int fs_truncate(const char *path, off_t size, struct fuse_file_info *fi) { (void)path; (void)size; (void)fi; return 0; }

static int fs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
  (void)fi;
  int num; char attr[16], text[4096];
  text[0] = 0;
  switch (classify(path, &num, attr)) {
  case K_JOURNAL: {
    if ((size_t)off >= jlen) return 0;
    size_t n = jlen - (size_t)off < size ? jlen - (size_t)off : size;
    memcpy(buf, journal + off, n);
    return (int)n;
  }
  case K_CHIPATTR:
    for (int i = 0; i < nchips; i++) if (chips[i].base == num) {
      if (!strcmp(attr, "label")) snprintf(text, sizeof text, "%s\n", chips[i].label);
      else if (!strcmp(attr, "base")) snprintf(text, sizeof text, "%d\n", chips[i].base);
      else snprintf(text, sizeof text, "%d\n", chips[i].ngpio);
    }
    break;
  case K_LINEATTR: {
    struct line *l = find(num);
    if (!strcmp(attr, "value")) { snprintf(text, sizeof text, "%d\n", logical(l)); l->pending = 0; }
    else if (!strcmp(attr, "direction")) snprintf(text, sizeof text, "%s\n", l->out ? "out" : "in");
    else if (!strcmp(attr, "edge")) snprintf(text, sizeof text, "%s\n", l->edge);
    else snprintf(text, sizeof text, "%d\n", l->active_low);
    break;
  }
  default: return -EACCES;
  }
  size_t len = strlen(text);
  if ((size_t)off >= len) return 0;
  size_t n = len - (size_t)off < size ? len - (size_t)off : size;
  memcpy(buf, text + off, n);
  return (int)n;
}

static int chip_of(int num) {
  for (int i = 0; i < nchips; i++) if (num >= chips[i].base && num < chips[i].base + chips[i].ngpio) return i;
  return -1;
}

static int fs_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
  (void)off; (void)fi;
  int num; char attr[16], v[64];
  size_t n = size < sizeof v - 1 ? size : sizeof v - 1;
  memcpy(v, buf, n); v[n] = 0;
  while (n && (v[n - 1] == '\n' || v[n - 1] == ' ')) v[--n] = 0;
  int k = classify(path, &num, attr);
  if (k == K_EXPORT || k == K_UNEXPORT) {
    char *end; long x = strtol(v, &end, 10);
    if (!v[0] || *end || chip_of((int)x) < 0) { note("%s %ld EINVAL\n", k == K_EXPORT ? "export" : "unexport", x); return -EINVAL; }
    if (k == K_UNEXPORT) {
      struct line *l = find((int)x);
      if (!l) { note("unexport %ld EINVAL\n", x); return -EINVAL; }
      if (l->ph) fuse_pollhandle_destroy(l->ph);
      memset(l, 0, sizeof *l);
      note("unexport %ld\n", x);
      return (int)size;
    }
    for (int i = 0; i < nrefuse; i++) if (refuse[i] == x) { note("export %ld EINVAL\n", x); return -EINVAL; }
    for (int i = 0; i < nbusy; i++) if (busy[i] == x) { note("export %ld EBUSY\n", x); return -EBUSY; }
    if (find((int)x)) { note("export %ld EBUSY\n", x); return -EBUSY; }
    for (int i = 0; i < MAXLINES; i++) if (!lines[i].used) {
      memset(&lines[i], 0, sizeof lines[i]);
      lines[i].used = 1; lines[i].num = (int)x; strcpy(lines[i].edge, "none");
      for (int p = 0; p < npreset; p++) if (preset_num[p] == x) lines[i].phys = preset_val[p];
      note("export %ld\n", x);
      return (int)size;
    }
    return -ENOSPC;
  }
  if (k == K_CTL) {
    int pin, level;
    if (sscanf(v, "%d %d", &pin, &level) != 2) return -EINVAL;
    struct line *l = find(pin);
    if (!l) {
      int i = 0;
      while (i < npreset && preset_num[i] != pin) i++;
      if (i == MAXLINES) return -ENOSPC;
      if (i == npreset) npreset++;
      preset_num[i] = pin; preset_val[i] = level ? 1 : 0;
      return (int)size;
    }
    set_phys(l, level ? 1 : 0);
    return (int)size;
  }
  if (k != K_LINEATTR) return -EACCES;
  struct line *l = find(num);
  note("gpio%d/%s=%s\n", num, attr, v);
  if (!strcmp(attr, "value")) {
    if (!l->out) return -EPERM;
    l->phys = (v[0] == '1') ^ l->active_low;
  } else if (!strcmp(attr, "direction")) {
    if (!strcmp(v, "in")) l->out = 0;
    else if (!strcmp(v, "out")) l->out = 1;
    else if (!strcmp(v, "high")) { l->out = 1; l->phys = 1; }
    else if (!strcmp(v, "low")) { l->out = 1; l->phys = 0; }
    else return -EINVAL;
  } else if (!strcmp(attr, "edge")) {
    if (strcmp(v, "none") && strcmp(v, "rising") && strcmp(v, "falling") && strcmp(v, "both")) return -EINVAL;
    if (l->out) return -EIO; /* the kernel refuses edges on outputs */
    strcpy(l->edge, v);
  } else {
    l->active_low = v[0] == '1';
  }
  return (int)size;
}

static int fs_poll(const char *path, struct fuse_file_info *fi, struct fuse_pollhandle *ph, unsigned *revents) {
  (void)fi;
  int num; char attr[16];
  if (classify(path, &num, attr) != K_LINEATTR || strcmp(attr, "value")) { if (ph) fuse_pollhandle_destroy(ph); *revents = POLLIN; return 0; }
  struct line *l = find(num);
  if (ph) { if (l->ph) fuse_pollhandle_destroy(l->ph); l->ph = ph; }
  *revents = POLLIN | (l->pending ? (POLLPRI | POLLERR) : 0);
  return 0;
}

static void *fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg) {
  (void)conn;
  cfg->entry_timeout = 0; cfg->attr_timeout = 0; cfg->negative_timeout = 0;
  cfg->direct_io = 1;
  return NULL;
}

static const struct fuse_operations ops = {
  .init = fs_init, .getattr = fs_getattr, .readdir = fs_readdir, .open = fs_open, .read = fs_read,
  .write = fs_write, .truncate = fs_truncate, .poll = fs_poll,
};

int main(int argc, char *argv[]) {
  const char *c = getenv("GPIOFS_CHIPS");
  while (c && *c && nchips < MAXCHIPS) {
    struct chip *ch = &chips[nchips];
    if (sscanf(c, "%63[^:]:%d:%d", ch->label, &ch->base, &ch->ngpio) == 3) nchips++;
    c = strchr(c, ';');
    if (c) c++;
  }
  const char *b = getenv("GPIOFS_BUSY");
  while (b && *b && nbusy < MAXLINES) {
    busy[nbusy++] = atoi(b);
    b = strchr(b, ',');
    if (b) b++;
  }
  const char *r = getenv("GPIOFS_REFUSE");
  while (r && *r && nrefuse < MAXLINES) {
    refuse[nrefuse++] = atoi(r);
    r = strchr(r, ',');
    if (r) r++;
  }
  return fuse_main(argc, argv, &ops, NULL);
}
