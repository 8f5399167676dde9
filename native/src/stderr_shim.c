/*
 * Debian's libngtcp2.a is built as PIE, not PIC: its debug printers
 * (ngtcp2_map_print, ngtcp2_ksl_print, never called by the addon) reference libc's
 * `stderr` PC-relatively, which a shared object cannot resolve against libc. This
 * hidden definition satisfies those references inside the addon; gq_stderr_init()
 * points it at file descriptor 2. No stdio.h here on purpose (it declares stderr).
 */
typedef struct _IO_FILE FILE;
extern FILE *fdopen(int fd, const char *mode);

__attribute__((visibility("hidden"))) FILE *stderr = 0;

__attribute__((visibility("hidden"))) void gq_stderr_init(void) {
  if (!stderr) stderr = fdopen(2, "w");
}
