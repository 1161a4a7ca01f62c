/*
 * The shm transport's rings for Node.js: a Node-API addon over the C core in
 * wrappers/native (ferrite_ring.c), which Python shares. JavaScript has no atomics over
 * a file mapping (SharedArrayBuffer cannot map a file), so the loads, stores and fences
 * of the protocol are C11's, here.
 *
 * One class, `Endpoint`: `new Endpoint("create", path, capacity)` is the processor's end
 * (tests use it as the fake processor), `new Endpoint("open", path)` the wrapper's. Its
 * methods are the core's, one for one; blocking on the doorbell is the JavaScript's. Every
 * call is short and never blocks, so all run on the event loop's thread.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <stdlib.h>
#include <string.h>

#include "../../native/ferrite_ring.h"

#define CALL(env, call)                                  \
  do {                                                   \
    if ((call) != napi_ok) {                             \
      throw_last(env);                                   \
      return NULL;                                       \
    }                                                    \
  } while (0)

static void throw_last(napi_env env) {
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) {
    napi_throw_error(env, NULL, info && info->error_message ? info->error_message : "Node-API call failed");
  }
}

/* The wrapped native object: the endpoint, NULL once closed. */
typedef struct {
  ferrite_ring_endpoint *endpoint;
} ring;

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  ring *r = data;
  ferrite_ring_close(r->endpoint);
  free(r);
}

/* `this`'s endpoint and up to `*argc` arguments; throws when closed. */
static ferrite_ring_endpoint *unwrap(napi_env env, napi_callback_info info, size_t *argc,
                                     napi_value *argv) {
  napi_value self;
  size_t none = 0;
  if (napi_get_cb_info(env, info, argc ? argc : &none, argv, &self, NULL) != napi_ok) {
    throw_last(env);
    return NULL;
  }
  ring *r = NULL;
  if (napi_unwrap(env, self, (void **)&r) != napi_ok || r == NULL) {
    throw_last(env);
    return NULL;
  }
  if (r->endpoint == NULL) napi_throw_error(env, "ERR_RING_CLOSED", "the ring endpoint is closed");
  return r->endpoint;
}

static napi_value number(napi_env env, double value) {
  napi_value out;
  CALL(env, napi_create_double(env, value, &out));
  return out;
}

static napi_value boolean(napi_env env, int value) {
  napi_value out;
  CALL(env, napi_get_boolean(env, value != 0, &out));
  return out;
}

static const char *status_code(ferrite_ring_status status) {
  switch (status) {
    case FERRITE_RING_E_IO: return "ERR_RING_IO";
    case FERRITE_RING_E_CAPACITY: return "ERR_RING_CAPACITY";
    case FERRITE_RING_E_LAYOUT: return "ERR_RING_LAYOUT";
    case FERRITE_RING_E_ATTACHED: return "ERR_RING_ATTACHED";
    default: return "ERR_RING";
  }
}

/* new Endpoint("create", path, capacity) | new Endpoint("open", path) */
static napi_value construct(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], self;
  CALL(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  char mode[8] = {0}, path[4096];
  size_t len = 0;
  if (argc < 2 || napi_get_value_string_utf8(env, argv[0], mode, sizeof mode, &len) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], path, sizeof path, &len) != napi_ok ||
      len >= sizeof path - 1) {
    napi_throw_type_error(env, NULL, "expected (\"create\", path, capacity) or (\"open\", path)");
    return NULL;
  }
  char err[512] = {0};
  ferrite_ring_endpoint *endpoint = NULL;
  ferrite_ring_status status;
  if (strcmp(mode, "create") == 0) {
    int64_t capacity = 0;
    if (argc < 3 || napi_get_value_int64(env, argv[2], &capacity) != napi_ok) {
      napi_throw_type_error(env, NULL, "create needs a capacity in bytes");
      return NULL;
    }
    status = ferrite_ring_create(path, capacity < 0 ? 0 : (uint64_t)capacity, &endpoint, err,
                                 sizeof err);
  } else if (strcmp(mode, "open") == 0) {
    status = ferrite_ring_open(path, &endpoint, err, sizeof err);
  } else {
    napi_throw_type_error(env, NULL, "the mode is \"create\" or \"open\"");
    return NULL;
  }
  if (status != FERRITE_RING_OK) {
    napi_throw_error(env, status_code(status), err);
    return NULL;
  }
  ring *r = malloc(sizeof *r);
  if (r == NULL) {
    ferrite_ring_close(endpoint);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  r->endpoint = endpoint;
  if (napi_wrap(env, self, r, finalize, NULL, NULL) != napi_ok) {
    finalize(env, r, NULL);
    throw_last(env);
    return NULL;
  }
  return self;
}

static napi_value close_(napi_env env, napi_callback_info info) {
  napi_value self;
  size_t argc = 0;
  CALL(env, napi_get_cb_info(env, info, &argc, NULL, &self, NULL));
  ring *r = NULL;
  CALL(env, napi_unwrap(env, self, (void **)&r));
  ferrite_ring_close(r->endpoint);
  r->endpoint = NULL;
  return NULL;
}

static napi_value capacity(napi_env env, napi_callback_info info) {
  ferrite_ring_endpoint *e = unwrap(env, info, NULL, NULL);
  return e ? number(env, (double)ferrite_ring_capacity(e)) : NULL;
}

static napi_value producer_free(napi_env env, napi_callback_info info) {
  ferrite_ring_endpoint *e = unwrap(env, info, NULL, NULL);
  return e ? number(env, (double)ferrite_ring_producer_free(e)) : NULL;
}

/* write(buffer, offset = 0): writes what fits of buffer[offset..]; returns how much. */
static napi_value producer_write(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  ferrite_ring_endpoint *e = unwrap(env, info, &argc, argv);
  if (e == NULL) return NULL;
  void *data = NULL;
  size_t len = 0;
  uint32_t offset = 0;
  if (argc < 1 || napi_get_buffer_info(env, argv[0], &data, &len) != napi_ok ||
      (argc > 1 && napi_get_value_uint32(env, argv[1], &offset) != napi_ok) || offset > len) {
    napi_throw_type_error(env, NULL, "write(buffer, offset) needs a Buffer and an offset in it");
    return NULL;
  }
  return number(env, (double)ferrite_ring_producer_write(e, (char *)data + offset, len - offset));
}

static napi_value producer_needs_ring(napi_env env, napi_callback_info info) {
  ferrite_ring_endpoint *e = unwrap(env, info, NULL, NULL);
  return e ? boolean(env, ferrite_ring_producer_needs_ring(e)) : NULL;
}

static napi_value producer_prepare_to_sleep(napi_env env, napi_callback_info info) {
  ferrite_ring_endpoint *e = unwrap(env, info, NULL, NULL);
  return e ? boolean(env, ferrite_ring_producer_prepare_to_sleep(e)) : NULL;
}

static napi_value producer_cancel_sleep(napi_env env, napi_callback_info info) {
  ferrite_ring_endpoint *e = unwrap(env, info, NULL, NULL);
  if (e) ferrite_ring_producer_cancel_sleep(e);
  return NULL;
}

static napi_value consumer_available(napi_env env, napi_callback_info info) {
  ferrite_ring_endpoint *e = unwrap(env, info, NULL, NULL);
  return e ? number(env, (double)ferrite_ring_consumer_available(e)) : NULL;
}

/* read(max): a new Buffer of what is buffered, up to max bytes, or null when empty (one
 * copy, from the ring into the Buffer). */
static napi_value consumer_read(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  ferrite_ring_endpoint *e = unwrap(env, info, &argc, argv);
  if (e == NULL) return NULL;
  int64_t max = 0;
  if (argc < 1 || napi_get_value_int64(env, argv[0], &max) != napi_ok || max < 0) {
    napi_throw_type_error(env, NULL, "read(max) needs a byte count");
    return NULL;
  }
  size_t n = ferrite_ring_consumer_available(e);
  if ((uint64_t)max < n) n = (size_t)max;
  napi_value out;
  if (n == 0) {
    CALL(env, napi_get_null(env, &out));
    return out;
  }
  void *data = NULL;
  CALL(env, napi_create_buffer(env, n, &data, &out));
  size_t got = ferrite_ring_consumer_read(e, data, n);
  if (got != n) {
    napi_throw_error(env, NULL, "the ring held fewer bytes than it said");
    return NULL;
  }
  return out;
}

static napi_value consumer_needs_ring(napi_env env, napi_callback_info info) {
  ferrite_ring_endpoint *e = unwrap(env, info, NULL, NULL);
  return e ? boolean(env, ferrite_ring_consumer_needs_ring(e)) : NULL;
}

static napi_value consumer_prepare_to_sleep(napi_env env, napi_callback_info info) {
  ferrite_ring_endpoint *e = unwrap(env, info, NULL, NULL);
  return e ? boolean(env, ferrite_ring_consumer_prepare_to_sleep(e)) : NULL;
}

static napi_value consumer_cancel_sleep(napi_env env, napi_callback_info info) {
  ferrite_ring_endpoint *e = unwrap(env, info, NULL, NULL);
  if (e) ferrite_ring_consumer_cancel_sleep(e);
  return NULL;
}

static napi_status set_number(napi_env env, napi_value object, const char *name, double value) {
  napi_value v;
  napi_status status = napi_create_double(env, value, &v);
  return status == napi_ok ? napi_set_named_property(env, object, name, v) : status;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
      {"close", NULL, close_, NULL, NULL, NULL, napi_default_method, NULL},
      {"capacity", NULL, capacity, NULL, NULL, NULL, napi_default_method, NULL},
      {"free", NULL, producer_free, NULL, NULL, NULL, napi_default_method, NULL},
      {"write", NULL, producer_write, NULL, NULL, NULL, napi_default_method, NULL},
      {"producerNeedsRing", NULL, producer_needs_ring, NULL, NULL, NULL, napi_default_method, NULL},
      {"producerPrepareToSleep", NULL, producer_prepare_to_sleep, NULL, NULL, NULL,
       napi_default_method, NULL},
      {"producerCancelSleep", NULL, producer_cancel_sleep, NULL, NULL, NULL, napi_default_method,
       NULL},
      {"available", NULL, consumer_available, NULL, NULL, NULL, napi_default_method, NULL},
      {"read", NULL, consumer_read, NULL, NULL, NULL, napi_default_method, NULL},
      {"consumerNeedsRing", NULL, consumer_needs_ring, NULL, NULL, NULL, napi_default_method, NULL},
      {"consumerPrepareToSleep", NULL, consumer_prepare_to_sleep, NULL, NULL, NULL,
       napi_default_method, NULL},
      {"consumerCancelSleep", NULL, consumer_cancel_sleep, NULL, NULL, NULL, napi_default_method,
       NULL},
  };
  napi_value endpoint_class;
  CALL(env, napi_define_class(env, "Endpoint", NAPI_AUTO_LENGTH, construct, NULL,
                              sizeof methods / sizeof methods[0], methods, &endpoint_class));
  CALL(env, napi_set_named_property(env, exports, "Endpoint", endpoint_class));

  /* The layout, for the tests that check it against schemas/shm-layout.json. */
  napi_value layout;
  CALL(env, napi_create_object(env, &layout));
  CALL(env, set_number(env, layout, "magic", FERRITE_RING_MAGIC));
  CALL(env, set_number(env, layout, "version", FERRITE_RING_VERSION));
  CALL(env, set_number(env, layout, "line", FERRITE_RING_LINE));
  CALL(env, set_number(env, layout, "dataOffset", FERRITE_RING_DATA_OFFSET));
  CALL(env, set_number(env, layout, "minCapacity", (double)FERRITE_RING_MIN_CAPACITY));
  CALL(env, set_number(env, layout, "maxCapacity", (double)FERRITE_RING_MAX_CAPACITY));
  CALL(env, set_number(env, layout, "doorbellByte", FERRITE_RING_DOORBELL_BYTE));
  CALL(env, napi_set_named_property(env, exports, "layout", layout));
  return exports;
}

NAPI_MODULE(ferrite_ring, init)
