{
  # geostream QUIC addon: Node-API over ngtcp2 0.12 (linked statically) and GnuTLS.
  # Static ngtcp2 so a Raspberry Pi needs only libgnutls30 at run time.
  # ngtcp2_libdir is the multiarch library directory (x86_64-linux-gnu or aarch64-linux-gnu).
  "variables": {
    "ngtcp2_libdir%": "/usr/lib/x86_64-linux-gnu",
    "sanitize%": "0"
  },
  "targets": [
    {
      "target_name": "geostream_quic",
      "sources": ["src/addon.cc", "src/conn.cc", "src/tls.cc", "src/stderr_shim.c"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "defines": ["NAPI_VERSION=8"],
      "libraries": [
        "-L<(ngtcp2_libdir)",
        "-l:libngtcp2_crypto_gnutls.a",
        "-l:libngtcp2.a",
        "-lgnutls"
      ],
      # Debian builds the archives as PIE, not PIC: hiding their symbols inside the
      # addon lets the linker resolve the PC-relative references at link time.
      "ldflags": ["-Wl,--exclude-libs,ALL"],
      "conditions": [
        ["sanitize=='1'", {
          "cflags_cc": ["-fsanitize=address", "-fno-omit-frame-pointer", "-g", "-O1"],
          "ldflags": ["-fsanitize=address"]
        }]
      ]
    }
  ]
}
