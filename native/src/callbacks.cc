// The callbacks ngtcp2 calls on a Conn: each turns into an Event for JavaScript or
// a change of the connection's stream state.
#include "callbacks.h"

#include <ngtcp2/ngtcp2_crypto.h>
#include <gnutls/crypto.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "conn.h"

namespace gq {

namespace {

Conn *self(void *user_data) { return static_cast<Conn *>(user_data); }

void rand_cb(uint8_t *dest, size_t len, const ngtcp2_rand_ctx *) {
  (void)gnutls_rnd(GNUTLS_RND_RANDOM, dest, len);
}

int get_new_cid_cb(ngtcp2_conn *, ngtcp2_cid *cid, uint8_t *token, size_t cidlen, void *ud) {
  if (gnutls_rnd(GNUTLS_RND_RANDOM, cid->data, cidlen) != 0) return NGTCP2_ERR_CALLBACK_FAILURE;
  cid->datalen = cidlen;
  if (!self(ud)->token_for(cid->data, cidlen, token)) return NGTCP2_ERR_CALLBACK_FAILURE;
  self(ud)->new_cid(cid);
  return 0;
}

int recv_reset_cb(ngtcp2_conn *, const ngtcp2_pkt_stateless_reset *, void *ud) {
  self(ud)->on_stateless_reset();
  return 0;
}

int remove_cid_cb(ngtcp2_conn *, const ngtcp2_cid *cid, void *ud) {
  self(ud)->retired_cid(cid);
  return 0;
}

int recv_stream_data_cb(ngtcp2_conn *, uint32_t flags, int64_t id, uint64_t, const uint8_t *data,
                        size_t len, void *ud, void *) {
  Event ev{EV_STREAM_DATA};
  ev.stream_id = id;
  ev.flag = (flags & NGTCP2_STREAM_DATA_FLAG_FIN) != 0;
  ev.data.assign(data, data + len);
  self(ud)->push(std::move(ev));
  return 0;
}

int acked_cb(ngtcp2_conn *, int64_t id, uint64_t offset, uint64_t len, void *ud, void *) {
  self(ud)->on_acked(id, offset, len);
  return 0;
}

int stream_open_cb(ngtcp2_conn *, int64_t id, void *ud) {
  Event ev{EV_STREAM_OPEN};
  ev.stream_id = id;
  self(ud)->push(std::move(ev));
  return 0;
}

int stream_close_cb(ngtcp2_conn *, uint32_t flags, int64_t id, uint64_t code, void *ud, void *) {
  self(ud)->on_stream_close(id, (flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET) != 0, code);
  return 0;
}

int stream_reset_cb(ngtcp2_conn *, int64_t id, uint64_t, uint64_t code, void *ud, void *) {
  Event ev{EV_STREAM_RESET};
  ev.stream_id = id;
  ev.code = code;
  self(ud)->push(std::move(ev));
  return 0;
}

int stop_sending_cb(ngtcp2_conn *, int64_t id, uint64_t code, void *ud, void *) {
  Conn *c = self(ud);
  if (Stream *s = c->stream(id)) s->write_closed = true;
  Event ev{EV_STOP_SENDING};
  ev.stream_id = id;
  ev.code = code;
  c->push(std::move(ev));
  return 0;
}

int extend_streams_cb(ngtcp2_conn *, uint64_t, void *ud) {
  self(ud)->push(Event{EV_STREAMS_CREDIT});
  return 0;
}

int extend_stream_data_cb(ngtcp2_conn *, int64_t id, uint64_t, void *ud, void *) {
  if (Stream *s = self(ud)->stream(id)) s->blocked = false;
  return 0;
}

int handshake_completed_cb(ngtcp2_conn *, void *ud) {
  self(ud)->on_handshake_completed();
  return 0;
}

int handshake_confirmed_cb(ngtcp2_conn *, void *ud) {
  self(ud)->push(Event{EV_CONFIRMED});
  return 0;
}

int path_validation_cb(ngtcp2_conn *, uint32_t, const ngtcp2_path *path,
                       ngtcp2_path_validation_result res, void *ud) {
  self(ud)->on_path_validated(path, res == NGTCP2_PATH_VALIDATION_RESULT_SUCCESS);
  return 0;
}

}  // namespace

void qlog_write(void *ud, uint32_t, const void *data, size_t len) {
  int fd = self(ud)->qlog_fd();
  if (fd < 0) return;
  ssize_t n = ::write(fd, data, len);
  (void)n;
}

void debug_printf(void *, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

void set_callbacks(ngtcp2_callbacks *cb, bool server) {
  memset(cb, 0, sizeof(*cb));
  cb->client_initial = server ? nullptr : ngtcp2_crypto_client_initial_cb;
  cb->recv_client_initial = server ? ngtcp2_crypto_recv_client_initial_cb : nullptr;
  cb->recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
  cb->handshake_completed = handshake_completed_cb;
  cb->encrypt = ngtcp2_crypto_encrypt_cb;
  cb->decrypt = ngtcp2_crypto_decrypt_cb;
  cb->hp_mask = ngtcp2_crypto_hp_mask_cb;
  cb->recv_stream_data = recv_stream_data_cb;
  cb->acked_stream_data_offset = acked_cb;
  cb->stream_open = stream_open_cb;
  cb->stream_close = stream_close_cb;
  cb->recv_retry = server ? nullptr : ngtcp2_crypto_recv_retry_cb;
  cb->extend_max_local_streams_bidi = extend_streams_cb;
  cb->extend_max_local_streams_uni = extend_streams_cb;
  cb->rand = rand_cb;
  cb->get_new_connection_id = get_new_cid_cb;
  cb->remove_connection_id = remove_cid_cb;
  cb->recv_stateless_reset = recv_reset_cb;
  cb->update_key = ngtcp2_crypto_update_key_cb;
  cb->path_validation = path_validation_cb;
  cb->stream_reset = stream_reset_cb;
  cb->extend_max_stream_data = extend_stream_data_cb;
  cb->handshake_confirmed = server ? nullptr : handshake_confirmed_cb;
  cb->delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
  cb->delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
  cb->get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
  cb->stream_stop_sending = stop_sending_cb;
  cb->version_negotiation = ngtcp2_crypto_version_negotiation_cb;
}

}  // namespace gq
