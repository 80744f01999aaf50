/*
 * wirecraft's native part: open TAP/TUN devices, AF_PACKET sockets and raw IP sockets, attach
 * classic BPF filters, and watch the descriptors on the event loop (uv_poll), draining frames in
 * batches per wake-up and handing each batch to one JS callback. Everything else lives in JS.
 *
 * Errors are thrown as Error objects with `code` set to the errno name ("EPERM"), plus `errno`
 * and `syscall`; the JS side turns them into LinkError with the way out.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

enum { KIND_FD = 0, KIND_PACKET = 1, KIND_RAW = 2 };
#define INFO_PER_FRAME 6 /* pkttype, protocol, ifindex, length, segment size, checksum state */
#define VNET_HDR_LEN ((int)sizeof(struct virtio_net_hdr))
#define CSUM_NONE 0
#define CSUM_COMPLETED 1 /* NEEDS_CSUM: the addon computed it */
#define CSUM_VALID 2     /* DATA_VALID: the kernel vouched for it */
#define DEFAULT_BATCH 64
#define MAX_BATCH 1024
#define FRAME_BUFFER (65536 + 256)

typedef struct {
  int fd;
  int kind;
  int family; /* raw sockets: AF_INET or AF_INET6 */
  int vnet;   /* TAP/TUN with IFF_VNET_HDR: the virtio-net header's length, else 0 */
  napi_env env;
  uv_poll_t poll;
  int poll_init;       /* uv_poll_init done */
  int poll_closing;    /* uv_close called */
  int finalized;       /* the JS external is gone */
  int polling;
  int max_batch;
  napi_ref callback;
  napi_async_context context;
  unsigned char *buffer;
  struct writer *writer; /* the writer thread of queueFrames, once started */
} handle_t;

#define CHECK(call)                                                  \
  do {                                                               \
    if ((call) != napi_ok) {                                         \
      napi_throw_error(env, "ERR_NATIVE", "N-API call failed: " #call); \
      return NULL;                                                   \
    }                                                                \
  } while (0)

/* ---- errors ---------------------------------------------------------------------------- */

static napi_value throw_errno(napi_env env, int err, const char *syscall, const char *subject) {
  char message[256];
  const char *name = uv_err_name(-err);
  snprintf(message, sizeof message, "%s%s%s: %s (%s)", syscall, subject && *subject ? " " : "",
           subject ? subject : "", strerror(err), name);
  napi_value code, msg, error, errno_value, syscall_value;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, err, &errno_value);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_set_named_property(env, error, "syscall", syscall_value);
  napi_throw(env, error);
  return NULL;
}

static napi_value make_errno(napi_env env, int err, const char *syscall) {
  char message[160];
  const char *name = uv_err_name(-err);
  snprintf(message, sizeof message, "%s: %s (%s)", syscall, strerror(err), name);
  napi_value code, msg, error, errno_value;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, err, &errno_value);
  napi_set_named_property(env, error, "errno", errno_value);
  return error;
}

/* ---- handles --------------------------------------------------------------------------- */

static void free_handle(handle_t *h) {
  free(h->buffer);
  free(h);
}

static void on_poll_closed(uv_handle_t *poll) {
  handle_t *h = poll->data;
  h->poll_init = 0;
  if (h->finalized) free_handle(h);
}

static void release_callback(handle_t *h) {
  if (h->callback) {
    napi_delete_reference(h->env, h->callback);
    h->callback = NULL;
  }
  if (h->context) {
    napi_async_destroy(h->env, h->context);
    h->context = NULL;
  }
}

static void stop_writer(handle_t *h);

/* Stop watching, close the descriptor; the struct lives until the external is collected. */
static void close_handle(handle_t *h) {
  stop_writer(h);
  if (h->poll_init && !h->poll_closing) {
    uv_poll_stop(&h->poll);
    h->poll_closing = 1;
    uv_close((uv_handle_t *)&h->poll, on_poll_closed);
  }
  h->polling = 0;
  if (h->fd >= 0) {
    close(h->fd);
    h->fd = -1;
  }
}

static void finalize_handle(napi_env env, void *data, void *hint) {
  handle_t *h = data;
  close_handle(h);
  release_callback(h);
  h->finalized = 1;
  if (!h->poll_init) free_handle(h);
}

static napi_value wrap_handle(napi_env env, int fd, int kind) {
  handle_t *h = calloc(1, sizeof *h);
  if (!h) {
    close(fd);
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  h->fd = fd;
  h->kind = kind;
  h->env = env;
  h->max_batch = DEFAULT_BATCH;
  napi_value external;
  if (napi_create_external(env, h, finalize_handle, NULL, &external) != napi_ok) {
    close(fd);
    free(h);
    napi_throw_error(env, "ERR_NATIVE", "napi_create_external failed");
    return NULL;
  }
  return external;
}

/* The handle behind `value`, open or closed (stop, close, fd and writerStats take closed ones). */
static handle_t *get_any_handle(napi_env env, napi_value value) {
  void *data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok || !data) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected a native handle");
    return NULL;
  }
  return data;
}

/* The handle behind `value`, which must be open. */
static handle_t *get_handle(napi_env env, napi_value value) {
  handle_t *h = get_any_handle(env, value);
  if (!h) return NULL;
  if (h->fd < 0) {
    throw_errno(env, EBADF, "use", "a closed handle");
    return NULL;
  }
  return h;
}

/* ---- argument helpers ------------------------------------------------------------------ */

static int get_string(napi_env env, napi_value value, char *out, size_t size) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, value, out, size, &len) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected a string");
    return -1;
  }
  return (int)len;
}

static int get_bytes(napi_env env, napi_value value, void **data, size_t *len) {
  bool is_typed = false;
  napi_is_typedarray(env, value, &is_typed);
  if (is_typed) {
    napi_typedarray_type type;
    size_t length, offset;
    napi_value ab;
    napi_get_typedarray_info(env, value, &type, &length, data, &ab, &offset);
    if (type != napi_uint8_array && type != napi_uint8_clamped_array && type != napi_int8_array) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected a Uint8Array");
      return -1;
    }
    *len = length;
    return 0;
  }
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected a Uint8Array");
  return -1;
}

static int attach_filter(napi_env env, int fd, napi_value program) {
  napi_valuetype type;
  napi_typeof(env, program, &type);
  if (type == napi_null || type == napi_undefined) {
    int dummy = 0;
    if (setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &dummy, sizeof dummy) < 0 && errno != ENOENT) {
      throw_errno(env, errno, "setsockopt", "SO_DETACH_FILTER");
      return -1;
    }
    return 0;
  }
  void *data;
  size_t len;
  if (get_bytes(env, program, &data, &len) < 0) return -1;
  if (len == 0 || len % sizeof(struct sock_filter) != 0 || len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
    napi_throw_range_error(env, "ERR_FILTER", "a BPF program is 1 to 4096 instructions of 8 bytes");
    return -1;
  }
  struct sock_fprog prog = {.len = (unsigned short)(len / sizeof(struct sock_filter)),
                            .filter = (struct sock_filter *)data};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) {
    throw_errno(env, errno, "setsockopt", "SO_ATTACH_FILTER");
    return -1;
  }
  return 0;
}

/* ---- openers --------------------------------------------------------------------------- */

/* openTun(name, flags) -> { handle, name }: flags are the kernel's IFF_* bits. */
static napi_value open_tun(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ + 8] = {0};
  if (get_string(env, argv[0], name, sizeof name) < 0) return NULL;
  if (strlen(name) >= IFNAMSIZ) {
    napi_throw_range_error(env, "ERR_LINK", "an interface name is at most 15 bytes");
    return NULL;
  }
  int32_t flags = 0;
  CHECK(napi_get_value_int32(env, argv[1], &flags));
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "open", "/dev/net/tun");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name, strlen(name));
  ifr.ifr_flags = (short)flags;
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "ioctl TUNSETIFF", name);
  }
  napi_value result, handle, actual;
  handle = wrap_handle(env, fd, KIND_FD);
  if (!handle) return NULL;
  if (flags & IFF_VNET_HDR) {
    handle_t *h;
    napi_get_value_external(env, handle, (void **)&h);
    h->vnet = VNET_HDR_LEN;
  }
  CHECK(napi_create_object(env, &result));
  CHECK(napi_create_string_utf8(env, ifr.ifr_name, NAPI_AUTO_LENGTH, &actual));
  CHECK(napi_set_named_property(env, result, "handle", handle));
  CHECK(napi_set_named_property(env, result, "name", actual));
  return result;
}

/* tunIoctl(handle, request, value): TUNSETOFFLOAD, TUNSETPERSIST, TUNSETVNETHDRSZ… */
static napi_value tun_ioctl(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  handle_t *h = get_handle(env, argv[0]);
  if (!h) return NULL;
  uint32_t request;
  int32_t value;
  CHECK(napi_get_value_uint32(env, argv[1], &request));
  CHECK(napi_get_value_int32(env, argv[2], &value));
  int rc;
  if (request == TUNSETVNETHDRSZ) rc = ioctl(h->fd, request, &value);
  else if (request == TUNSETOFFLOAD || request == TUNSETPERSIST || request == TUNSETOWNER)
    rc = ioctl(h->fd, request, (unsigned long)value);
  else {
    napi_throw_range_error(env, "ERR_LINK", "unsupported TUN ioctl");
    return NULL;
  }
  if (rc < 0) return throw_errno(env, errno, "ioctl", "TUN");
  return NULL;
}

/* openPacket(ifname, protocol, cooked, filter|null) -> { handle, ifindex } */
static napi_value open_packet(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ + 8] = {0};
  if (get_string(env, argv[0], name, sizeof name) < 0) return NULL;
  int32_t protocol;
  bool cooked;
  CHECK(napi_get_value_int32(env, argv[1], &protocol));
  CHECK(napi_get_value_bool(env, argv[2], &cooked));
  unsigned ifindex = 0;
  if (*name) {
    ifindex = if_nametoindex(name);
    if (!ifindex) return throw_errno(env, errno, "if_nametoindex", name);
  }
  /* Protocol 0 receives nothing until bind: attach the filter first so no frame slips past. */
  int fd = socket(AF_PACKET, (cooked ? SOCK_DGRAM : SOCK_RAW) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket", "AF_PACKET");
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  if (attach_filter(env, fd, argv[3]) < 0) {
    close(fd);
    return NULL;
  }
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons((uint16_t)protocol);
  sll.sll_ifindex = (int)ifindex;
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "bind", name);
  }
  napi_value result, handle, index;
  handle = wrap_handle(env, fd, KIND_PACKET);
  if (!handle) return NULL;
  CHECK(napi_create_object(env, &result));
  CHECK(napi_create_uint32(env, ifindex, &index));
  CHECK(napi_set_named_property(env, result, "handle", handle));
  CHECK(napi_set_named_property(env, result, "ifindex", index));
  return result;
}

/* openRaw(family 4|6) -> handle: an IPPROTO_RAW socket, header included, routed by the kernel. */
static napi_value open_raw(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t version;
  CHECK(napi_get_value_int32(env, argv[0], &version));
  int family = version == 6 ? AF_INET6 : AF_INET;
  int fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW);
  if (fd < 0) return throw_errno(env, errno, "socket", version == 6 ? "AF_INET6 SOCK_RAW" : "AF_INET SOCK_RAW");
  napi_value handle = wrap_handle(env, fd, KIND_RAW);
  if (!handle) return NULL;
  handle_t *h;
  napi_get_value_external(env, handle, (void **)&h);
  h->family = family;
  return handle;
}

/* setFilter(handle, program|null) */
static napi_value set_filter(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  handle_t *h = get_handle(env, argv[0]);
  if (!h) return NULL;
  attach_filter(env, h->fd, argv[1]);
  return NULL;
}

/* ---- writing --------------------------------------------------------------------------- */

/* The result of a write or send: bytes sent, -errno when the queue is full (EAGAIN, ENOBUFS),
   or a thrown error. */
static napi_value sent_result(napi_env env, ssize_t n, const char *op, const char *what) {
  napi_value result;
  if (n < 0) {
    if (errno == EAGAIN || errno == ENOBUFS) {
      CHECK(napi_create_int32(env, -errno, &result));
      return result;
    }
    return throw_errno(env, errno, op, what);
  }
  CHECK(napi_create_int64(env, n, &result));
  return result;
}

/* ---- virtio-net headers (IFF_VNET_HDR) ---------------------------------------------------- */

/* The virtio-net header of an outgoing Ethernet frame: a TCP frame whose payload is longer than
   `segment` bytes is marked for segmentation (GSO TCPV4/TCPV6, gso_size = segment). The checksum
   the stack computed covers the whole segment, so flags stay 0 (the kernel checks it, or redoes it
   per piece when it cuts). Anything else gets an all-zero header. */
static void vnet_header_for(const uint8_t *f, size_t len, uint32_t segment, struct virtio_net_hdr *v) {
  memset(v, 0, sizeof *v);
  if (!segment || len < 14) return;
  size_t l3 = 14;
  unsigned type = (unsigned)(f[12] << 8 | f[13]);
  if (type == 0x8100 && len >= 18) {
    type = (unsigned)(f[16] << 8 | f[17]);
    l3 = 18;
  }
  size_t l4;
  uint8_t gso;
  if (type == 0x0800 && len >= l3 + 20) {
    size_t ihl = (size_t)(f[l3] & 15) * 4;
    if (f[l3 + 9] != IPPROTO_TCP || ihl < 20) return;
    l4 = l3 + ihl;
    gso = VIRTIO_NET_HDR_GSO_TCPV4;
  } else if (type == 0x86dd && len >= l3 + 40) {
    if (f[l3 + 6] != IPPROTO_TCP) return; /* extension headers: not cut */
    l4 = l3 + 40;
    gso = VIRTIO_NET_HDR_GSO_TCPV6;
  } else {
    return;
  }
  if (len < l4 + 20) return;
  size_t headers = l4 + (size_t)(f[l4 + 12] >> 4) * 4;
  if (headers > len || len - headers <= segment) return;
  v->gso_type = gso;
  v->gso_size = (uint16_t)segment;
  v->hdr_len = (uint16_t)headers;
}

/* Complete a NEEDS_CSUM frame: the field at start+offset holds the pseudo-header sum; add the
   bytes from `start` to the end and store the complement. Returns 0 when the offsets are bad. */
static int complete_checksum(uint8_t *f, size_t len, size_t start, size_t offset) {
  if (start + offset + 2 > len) return 0;
  uint64_t sum = 0;
  size_t i = start;
  for (; i + 4 <= len; i += 4) {
    uint32_t w;
    memcpy(&w, f + i, 4);
    sum += w;
  }
  if (i + 2 <= len) {
    uint16_t w;
    memcpy(&w, f + i, 2);
    sum += w;
    i += 2;
  }
  if (i < len) sum += f[i]; /* the last odd byte, in host (little-endian) order */
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  uint16_t value = (uint16_t)~sum;
  memcpy(f + start + offset, &value, 2);
  return 1;
}

static ssize_t write_one(handle_t *h, const void *data, size_t len, uint32_t segment) {
  ssize_t n;
  if (h->vnet) {
    struct virtio_net_hdr v;
    vnet_header_for(data, len, segment, &v);
    struct iovec iov[2] = {{.iov_base = &v, .iov_len = (size_t)h->vnet}, {.iov_base = (void *)data, .iov_len = len}};
    do n = writev(h->fd, iov, 2);
    while (n < 0 && errno == EINTR);
    if (n >= h->vnet) n -= h->vnet;
  } else {
    do n = write(h->fd, data, len);
    while (n < 0 && errno == EINTR);
  }
  return n;
}

/* write(handle, bytes, segmentSize?) -> bytes written, or -errno when the queue is full (EAGAIN,
   ENOBUFS). On a vnet TAP a TCP frame longer than segmentSize + headers is cut by the kernel. */
static napi_value write_frame(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  handle_t *h = get_handle(env, argv[0]);
  if (!h) return NULL;
  void *data;
  size_t len;
  if (get_bytes(env, argv[1], &data, &len) < 0) return NULL;
  uint32_t segment = 0;
  if (argc >= 3) {
    napi_valuetype t;
    napi_typeof(env, argv[2], &t);
    if (t == napi_number) napi_get_value_uint32(env, argv[2], &segment);
  }
  if (segment > 65535) segment = 0;
  return sent_result(env, write_one(h, data, len, segment), "write", NULL);
}

/* ---- the writer thread (queueFrames) ---------------------------------------------------------
   Writing into a TAP runs the kernel's receive path in the writer's context (its TCP, the wake-up
   of the reader): a third of the time of a bulk transfer. queueFrames copies the frames into a
   bounded queue that a thread of its own writes, so that work runs beside the event loop. */

#define WRITER_MAX_FRAMES 8192
#define WRITER_MAX_BYTES (16u << 20)

typedef struct {
  unsigned char *data;
  size_t len;
  uint32_t segment;
} queued_t;

/* One producer (the event loop) and one consumer (the thread): a ring of frames with atomic
   indices, so that the event loop never waits for a lock the thread holds. The mutex and the
   condition variable only put the thread to sleep when the ring is empty and wake it up. */
typedef struct writer {
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  queued_t items[WRITER_MAX_FRAMES];
  _Atomic size_t head;     /* next to write (the thread's) */
  _Atomic size_t tail;     /* next free (the event loop's) */
  _Atomic size_t bytes;    /* bytes in the ring */
  _Atomic int sleeping;
  _Atomic int stop;
  _Atomic int error;       /* the first failed write's errno, reported by the next queueFrames */
  _Atomic uint64_t written;
  handle_t *h;
} writer_t;

static void *writer_main(void *arg) {
  writer_t *w = arg;
  for (;;) {
    size_t head = atomic_load(&w->head);
    if (head == atomic_load(&w->tail)) {
      pthread_mutex_lock(&w->lock);
      atomic_store(&w->sleeping, 1);
      while (!atomic_load(&w->stop) && head == atomic_load(&w->tail)) pthread_cond_wait(&w->wake, &w->lock);
      atomic_store(&w->sleeping, 0);
      pthread_mutex_unlock(&w->lock);
      if (atomic_load(&w->stop)) break;
      continue;
    }
    if (atomic_load(&w->stop)) break;
    queued_t item = w->items[head % WRITER_MAX_FRAMES];
    ssize_t n;
    for (int tries = 0;; tries++) {
      n = write_one(w->h, item.data, item.len, item.segment);
      if (n >= 0 || (errno != EAGAIN && errno != ENOBUFS) || tries >= 2000) break;
      usleep(50); /* the kernel's queue is full: wait a little */
    }
    if (n < 0) {
      int none = 0;
      atomic_compare_exchange_strong(&w->error, &none, errno);
    }
    free(item.data);
    atomic_fetch_sub(&w->bytes, item.len);
    atomic_fetch_add(&w->written, 1);
    atomic_store(&w->head, head + 1);
  }
  return NULL;
}

static void stop_writer(handle_t *h) {
  writer_t *w = h->writer;
  if (!w) return;
  pthread_mutex_lock(&w->lock);
  atomic_store(&w->stop, 1);
  pthread_cond_signal(&w->wake);
  pthread_mutex_unlock(&w->lock);
  pthread_join(w->thread, NULL);
  for (size_t i = atomic_load(&w->head); i != atomic_load(&w->tail); i++) free(w->items[i % WRITER_MAX_FRAMES].data);
  pthread_mutex_destroy(&w->lock);
  pthread_cond_destroy(&w->wake);
  free(w);
  h->writer = NULL;
}

/* The optional Uint32Array of per-frame segment sizes of writeMany/queueFrames (anything else: none). */
static void segment_sizes(napi_env env, napi_value arg, uint32_t **segments, size_t *count) {
  bool typed = false;
  napi_is_typedarray(env, arg, &typed);
  if (!typed) return;
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  void *p;
  size_t n = 0;
  napi_get_typedarray_info(env, arg, &type, &n, &p, &ab, &offset);
  if (type != napi_uint32_array) return;
  *segments = p;
  *count = n;
}

/* queueFrames(handle, frames[], segmentSizes: Uint32Array|null) -> frames taken (fewer when the
   queue is full: the rest are the caller's to retry). A failed earlier write is thrown here. */
static napi_value queue_frames(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  handle_t *h = get_handle(env, argv[0]);
  if (!h) return NULL;
  if (!h->writer) {
    writer_t *w = calloc(1, sizeof *w);
    if (!w) return throw_errno(env, ENOMEM, "calloc", "writer");
    w->h = h;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    int rc = pthread_create(&w->thread, NULL, writer_main, w);
    if (rc) {
      pthread_mutex_destroy(&w->lock);
      pthread_cond_destroy(&w->wake);
      free(w);
      return throw_errno(env, rc, "pthread_create", "writer");
    }
    h->writer = w;
  }
  writer_t *w = h->writer;
  uint32_t count = 0;
  CHECK(napi_get_array_length(env, argv[1], &count));
  uint32_t *segments = NULL;
  size_t segment_count = 0;
  if (argc >= 3) segment_sizes(env, argv[2], &segments, &segment_count);
  int error = atomic_exchange(&w->error, 0);
  if (error) return throw_errno(env, error, "write", "(writer thread)");
  uint32_t taken = 0;
  size_t tail = atomic_load(&w->tail);
  for (; taken < count; taken++) {
    napi_value item;
    CHECK(napi_get_element(env, argv[1], taken, &item));
    void *data;
    size_t len;
    if (get_bytes(env, item, &data, &len) < 0) return NULL;
    size_t queued = tail - atomic_load(&w->head);
    if (queued >= WRITER_MAX_FRAMES || (queued > 0 && atomic_load(&w->bytes) + len > WRITER_MAX_BYTES)) break;
    unsigned char *copy = malloc(len ? len : 1);
    if (!copy) break;
    memcpy(copy, data, len);
    uint32_t segment = segments && taken < segment_count ? segments[taken] : 0;
    w->items[tail % WRITER_MAX_FRAMES] = (queued_t){.data = copy, .len = len, .segment = segment > 65535 ? 0 : segment};
    atomic_fetch_add(&w->bytes, len);
    atomic_store(&w->tail, ++tail);
  }
  /* Wake the thread if it sleeps (seq_cst: it sets `sleeping` before its last look at `tail`). */
  if (taken > 0 && atomic_load(&w->sleeping)) {
    pthread_mutex_lock(&w->lock);
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
  }
  napi_value result;
  CHECK(napi_create_uint32(env, taken, &result));
  return result;
}

/* writerStats(handle) -> [queued frames, queued bytes, frames written] (zeros before any queueFrames). */
static napi_value writer_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  handle_t *h = get_any_handle(env, argv[0]);
  if (!h) return NULL;
  double values[3] = {0, 0, 0};
  if (h->writer) {
    writer_t *w = h->writer;
    values[0] = (double)(atomic_load(&w->tail) - atomic_load(&w->head));
    values[1] = (double)atomic_load(&w->bytes);
    values[2] = (double)atomic_load(&w->written);
  }
  napi_value result, v;
  CHECK(napi_create_array_with_length(env, 3, &result));
  for (uint32_t i = 0; i < 3; i++) {
    CHECK(napi_create_double(env, values[i], &v));
    CHECK(napi_set_element(env, result, i, v));
  }
  return result;
}

/* writeMany(handle, frames[], segmentSizes: Uint32Array|null) -> frames written (stops at the
   first full queue; the count says where), or throws on another error. One call per batch. */
static napi_value write_many(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  handle_t *h = get_handle(env, argv[0]);
  if (!h) return NULL;
  uint32_t count = 0;
  CHECK(napi_get_array_length(env, argv[1], &count));
  uint32_t *segments = NULL;
  size_t segment_count = 0;
  if (argc >= 3) segment_sizes(env, argv[2], &segments, &segment_count);
  uint32_t done = 0;
  for (; done < count; done++) {
    napi_value item;
    CHECK(napi_get_element(env, argv[1], done, &item));
    void *data;
    size_t len;
    if (get_bytes(env, item, &data, &len) < 0) return NULL;
    uint32_t segment = segments && done < segment_count ? segments[done] : 0;
    ssize_t n = write_one(h, data, len, segment > 65535 ? 0 : segment);
    if (n < 0) {
      if (errno == EAGAIN || errno == ENOBUFS) break;
      return throw_errno(env, errno, "write", NULL);
    }
  }
  napi_value result;
  CHECK(napi_create_uint32(env, done, &result));
  return result;
}

/* sendTo(handle, bytes, address) for raw IP sockets -> bytes sent, or -errno when full. */
static napi_value send_to(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  handle_t *h = get_handle(env, argv[0]);
  if (!h) return NULL;
  void *data;
  size_t len;
  if (get_bytes(env, argv[1], &data, &len) < 0) return NULL;
  char address[64] = {0};
  if (get_string(env, argv[2], address, sizeof address) < 0) return NULL;
  struct sockaddr_storage ss;
  socklen_t sslen;
  memset(&ss, 0, sizeof ss);
  if (h->family == AF_INET6) {
    struct sockaddr_in6 *sa = (struct sockaddr_in6 *)&ss;
    sa->sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, address, &sa->sin6_addr) != 1) return throw_errno(env, EINVAL, "inet_pton", address);
    sslen = sizeof *sa;
  } else {
    struct sockaddr_in *sa = (struct sockaddr_in *)&ss;
    sa->sin_family = AF_INET;
    if (inet_pton(AF_INET, address, &sa->sin_addr) != 1) return throw_errno(env, EINVAL, "inet_pton", address);
    sslen = sizeof *sa;
  }
  ssize_t n;
  do n = sendto(h->fd, data, len, 0, (struct sockaddr *)&ss, sslen);
  while (n < 0 && errno == EINTR);
  return sent_result(env, n, "sendto", address);
}

/* ---- reading on the event loop --------------------------------------------------------- */

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void deliver(handle_t *h, napi_value *argv, size_t argc) {
  napi_env env = h->env;
  napi_value callback, receiver;
  if (!h->callback || napi_get_reference_value(env, h->callback, &callback) != napi_ok || !callback) return;
  napi_get_global(env, &receiver);
  napi_value ignored;
  napi_status status = napi_make_callback(env, h->context, receiver, callback, argc, argv, &ignored);
  if (status == napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
  }
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  handle_t *h = poll->data;
  napi_env env = h->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value argv[4];
  if (status < 0) {
    napi_get_null(env, &argv[0]);
    napi_get_null(env, &argv[1]);
    napi_get_null(env, &argv[2]);
    argv[3] = make_errno(env, -status, "poll");
    uv_poll_stop(&h->poll);
    h->polling = 0;
    deliver(h, argv, 4);
    napi_close_handle_scope(env, scope);
    return;
  }
  int max = h->max_batch;
  int64_t stamps[MAX_BATCH];
  uint32_t infos[MAX_BATCH * INFO_PER_FRAME];
  napi_value frames;
  napi_create_array(env, &frames);
  int count = 0, failure = 0;
  int64_t batch_time = 0;
  while (count < max && h->fd >= 0) {
    ssize_t n;
    uint32_t pkttype = 0, protocol = 0, ifindex = 0, length = 0, segment = 0, csum = CSUM_NONE;
    int64_t stamp = 0;
    if (h->kind == KIND_PACKET) {
      struct sockaddr_ll from;
      char control[CMSG_SPACE(sizeof(struct timespec)) + 64];
      struct iovec iov = {.iov_base = h->buffer, .iov_len = FRAME_BUFFER};
      struct msghdr msg = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
                           .msg_control = control, .msg_controllen = sizeof control};
      n = recvmsg(h->fd, &msg, MSG_TRUNC);
      if (n >= 0) {
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
          if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            stamp = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
          }
        }
        pkttype = from.sll_pkttype;
        protocol = ntohs(from.sll_protocol);
        ifindex = (uint32_t)from.sll_ifindex;
      }
    } else if (h->vnet) {
      struct virtio_net_hdr v;
      struct iovec iov[2] = {{.iov_base = &v, .iov_len = (size_t)h->vnet}, {.iov_base = h->buffer, .iov_len = FRAME_BUFFER}};
      n = readv(h->fd, iov, 2);
      if (n >= 0 && n < h->vnet) continue; /* no header: nothing to deliver */
      if (n >= 0) {
        n -= h->vnet;
        if (v.gso_type != VIRTIO_NET_HDR_GSO_NONE) segment = v.gso_size;
        if (v.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
          size_t got = (size_t)n < FRAME_BUFFER ? (size_t)n : FRAME_BUFFER;
          if (complete_checksum(h->buffer, got, v.csum_start, v.csum_offset)) csum = CSUM_COMPLETED;
        } else if (v.flags & VIRTIO_NET_HDR_F_DATA_VALID) {
          csum = CSUM_VALID;
        }
      }
    } else {
      n = read(h->fd, h->buffer, FRAME_BUFFER);
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) failure = errno;
      break;
    }
    length = (uint32_t)n;
    size_t copied = (size_t)n < FRAME_BUFFER ? (size_t)n : FRAME_BUFFER;
    if (!stamp) {
      if (!batch_time) batch_time = now_ns();
      stamp = batch_time;
    }
    napi_value frame;
    void *ignored;
    if (napi_create_buffer_copy(env, copied, h->buffer, &ignored, &frame) != napi_ok) break;
    napi_set_element(env, frames, (uint32_t)count, frame);
    stamps[count] = stamp;
    infos[count * INFO_PER_FRAME + 0] = pkttype;
    infos[count * INFO_PER_FRAME + 1] = protocol;
    infos[count * INFO_PER_FRAME + 2] = ifindex;
    infos[count * INFO_PER_FRAME + 3] = length;
    infos[count * INFO_PER_FRAME + 4] = segment;
    infos[count * INFO_PER_FRAME + 5] = csum;
    count++;
  }
  if (count > 0) {
    napi_value ab1, ab2;
    void *p1, *p2;
    napi_create_arraybuffer(env, count * sizeof(int64_t), &p1, &ab1);
    memcpy(p1, stamps, count * sizeof(int64_t));
    napi_create_typedarray(env, napi_bigint64_array, count, ab1, 0, &argv[1]);
    napi_create_arraybuffer(env, count * INFO_PER_FRAME * sizeof(uint32_t), &p2, &ab2);
    memcpy(p2, infos, count * INFO_PER_FRAME * sizeof(uint32_t));
    napi_create_typedarray(env, napi_uint32_array, count * INFO_PER_FRAME, ab2, 0, &argv[2]);
    argv[0] = frames;
    napi_get_null(env, &argv[3]);
    deliver(h, argv, 4);
  }
  if (failure && h->fd >= 0) {
    if (h->poll_init && !h->poll_closing) uv_poll_stop(&h->poll);
    h->polling = 0;
    napi_get_null(env, &argv[0]);
    napi_get_null(env, &argv[1]);
    napi_get_null(env, &argv[2]);
    argv[3] = make_errno(env, failure, "read");
    deliver(h, argv, 4);
  }
  napi_close_handle_scope(env, scope);
}

/* start(handle, callback(frames, stamps, info, error), maxBatch) */
static napi_value start(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  handle_t *h = get_handle(env, argv[0]);
  if (!h) return NULL;
  int32_t batch = DEFAULT_BATCH;
  if (argc >= 3) napi_get_value_int32(env, argv[2], &batch);
  if (batch < 1) batch = 1;
  if (batch > MAX_BATCH) batch = MAX_BATCH;
  h->max_batch = batch;
  if (!h->buffer) {
    h->buffer = malloc(FRAME_BUFFER);
    if (!h->buffer) return throw_errno(env, ENOMEM, "malloc", NULL);
  }
  release_callback(h);
  CHECK(napi_create_reference(env, argv[1], 1, &h->callback));
  napi_value resource, name;
  CHECK(napi_create_object(env, &resource));
  CHECK(napi_create_string_utf8(env, "wirecraft:link", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, resource, name, &h->context));
  if (!h->poll_init) {
    uv_loop_t *loop;
    CHECK(napi_get_uv_event_loop(env, &loop));
    int rc = uv_poll_init(loop, &h->poll, h->fd);
    if (rc < 0) return throw_errno(env, -rc, "uv_poll_init", NULL);
    h->poll.data = h;
    h->poll_init = 1;
  }
  int rc = uv_poll_start(&h->poll, UV_READABLE, on_readable);
  if (rc < 0) return throw_errno(env, -rc, "uv_poll_start", NULL);
  h->polling = 1;
  return NULL;
}

/* stop(handle): stop watching; the descriptor stays open and frames queue in the kernel. */
static napi_value stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  handle_t *h = get_any_handle(env, argv[0]);
  if (!h) return NULL;
  if (h->poll_init && !h->poll_closing) uv_poll_stop(&h->poll);
  h->polling = 0;
  release_callback(h);
  return NULL;
}

/* close(handle): idempotent. */
static napi_value close_fn(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  handle_t *h = get_any_handle(env, argv[0]);
  if (!h) return NULL;
  close_handle(h);
  release_callback(h);
  return NULL;
}

/* fd(handle) -> the descriptor number, or -1 once closed. */
static napi_value fd_fn(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  handle_t *h = get_any_handle(env, argv[0]);
  if (!h) return NULL;
  CHECK(napi_create_int32(env, h->fd, &result));
  return result;
}

static napi_value constants(napi_env env) {
  napi_value object, value;
  napi_create_object(env, &object);
#define CONSTANT(name)                        \
  napi_create_uint32(env, (uint32_t)(name), &value); \
  napi_set_named_property(env, object, #name, value);
  CONSTANT(IFF_TUN)
  CONSTANT(IFF_TAP)
  CONSTANT(IFF_NO_PI)
  CONSTANT(IFF_VNET_HDR)
  CONSTANT(IFF_MULTI_QUEUE)
  CONSTANT(TUNSETOFFLOAD)
  CONSTANT(TUNSETPERSIST)
  CONSTANT(TUNSETOWNER)
  CONSTANT(TUNSETVNETHDRSZ)
  CONSTANT(TUN_F_CSUM)
  CONSTANT(TUN_F_TSO4)
  CONSTANT(TUN_F_TSO6)
  CONSTANT(TUN_F_TSO_ECN)
  CONSTANT(TUN_F_UFO)
  CONSTANT(PACKET_HOST)
  CONSTANT(PACKET_BROADCAST)
  CONSTANT(PACKET_MULTICAST)
  CONSTANT(PACKET_OTHERHOST)
  CONSTANT(PACKET_OUTGOING)
#undef CONSTANT
  return object;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"openTun", NULL, open_tun, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tunIoctl", NULL, tun_ioctl, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openPacket", NULL, open_packet, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openRaw", NULL, open_raw, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setFilter", NULL, set_filter, NULL, NULL, NULL, napi_enumerable, NULL},
      {"write", NULL, write_frame, NULL, NULL, NULL, napi_enumerable, NULL},
      {"writeMany", NULL, write_many, NULL, NULL, NULL, napi_enumerable, NULL},
      {"queueFrames", NULL, queue_frames, NULL, NULL, NULL, napi_enumerable, NULL},
      {"writerStats", NULL, writer_stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendTo", NULL, send_to, NULL, NULL, NULL, napi_enumerable, NULL},
      {"start", NULL, start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stop", NULL, stop, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, close_fn, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fd", NULL, fd_fn, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_set_named_property(env, exports, "constants", constants(env));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
