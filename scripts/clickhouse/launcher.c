/*
 * ClickHouse for tests, CI and the demo, with no Docker and no download.
 *
 * The engine is ClickHouse 26.x from libchdb.so (npm devDependency @chdb/lib-linux-x64-gnu, chDB = ClickHouse
 * built as a library). libchdb.so only contains clickhouse-local: the network servers of clickhouse-server are
 * not linked in (`SYSTEM START LISTEN` answers "not supported in clickhouse-local", `--listen_host` and
 * `--http_port` are unknown options). So this program is the HTTP server: it implements the part of
 * ClickHouse's HTTP interface that @clickhouse/client and curl use, and runs every statement in the real
 * engine through chDB's C API (chdb_connect, chdb_query_n, chdb_query_with_params_n). Parsing, functions,
 * table engines (MergeTree family), formats, settings and error messages are ClickHouse's own.
 *
 * Usage (normally through scripts/clickhouse/start.sh and stop.sh):
 *   launcher serve --path=DIR [--host=127.0.0.1] [--port=8123] [--pid-file=FILE]
 *                  [--max-sessions=16] [--keep-alive-timeout=10] [--log-queries] [-- clickhouse-local args]
 *   launcher local [clickhouse-local args, e.g. --path=DIR --query "SELECT 1"]
 *       one-shot clickhouse-local through query_stable_v2(argc, argv). Query errors are printed on stderr,
 *       but the exit status is 0 (chDB reports only argument errors back); do not use it with the data
 *       directory of a running server (the directory is locked).
 *
 * HTTP interface:
 *   GET|HEAD /ping, /replicas_status, and / without a query -> "Ok.\n"
 *   GET|POST /?query=SQL; POST / with SQL in the body; with both, the body follows the query after a newline
 *     (how INSERT ... FORMAT X data is sent), as in ClickHouse.
 *   URL parameters: query, database, default_format, query_id, param_<name> (server-side {name:Type} binding),
 *     enable_http_compression; every other name is a ClickHouse setting applied to this query only
 *     (unknown names fail with UNKNOWN_SETTING, like ClickHouse). multipart/form-data bodies (query and
 *     param_* parts, used by @clickhouse/client for large parameters) are accepted.
 *   Headers: X-ClickHouse-Database, X-ClickHouse-Format; Content-Encoding: gzip request bodies and gzip
 *     responses (enable_http_compression=1 with Accept-Encoding: gzip) when built with -DHAVE_ZLIB -lz.
 *   Responses: X-ClickHouse-Query-Id, X-ClickHouse-Format, X-ClickHouse-Timezone, X-ClickHouse-Summary;
 *     errors: HTTP 400/403/404/500 with the ClickHouse exception text and X-ClickHouse-Exception-Code.
 *   GET runs with readonly=2, like ClickHouse. Keep-alive (timeout 10 s, sent in the Keep-Alive header).
 *
 * Concurrency: every HTTP connection has a thread; statements run on a pool of chDB connections (up to
 *   --max-sessions at once, created on demand; more wait). One chDB connection runs one statement at a time.
 *   Each request leaves its connection as it found it (SET ... = DEFAULT, USE default); a connection whose
 *   state a request changed (SET, USE, CREATE TEMPORARY TABLE, readonly) is replaced.
 *
 * Not supported: users and passwords (anything is accepted; listen on 127.0.0.1 only), sessions (session_id
 *   is ignored: no temporary tables or SET across requests), progress headers, external data tables,
 *   streaming (each result is built in memory, then sent), cancelling a query when the client disconnects,
 *   query_id inside the engine (system.processes/KILL QUERY do not know the HTTP query_id), the native
 *   TCP protocol (port 9000), the web UI (/play).
 *
 * Build: gcc -O2 -o launcher launcher.c -L$LIB -l:libchdb.so -Wl,-rpath,$LIB -lpthread [-DHAVE_ZLIB -lz]
 *   (start.sh does it, into .cache/clickhouse/clickhouse-launcher).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_ZLIB
#include <zlib.h>
#endif

/* ---- chDB C API (subset of chdb.h, chDB 26.x; declared here so no header is needed) ---- */
struct local_result_v2 {
    char *buf;
    size_t len;
    void *_vec;
    double elapsed;
    uint64_t rows_read;
    uint64_t bytes_read;
    char *error_message;
};
typedef struct chdb_result_ { void *internal_data; } chdb_result;
typedef struct chdb_connection_ { void *internal_data; } *chdb_connection;

extern struct local_result_v2 *query_stable_v2(int argc, char **argv);
extern void free_result_v2(struct local_result_v2 *result);
extern chdb_connection *chdb_connect(int argc, char **argv);
extern void chdb_close_conn(chdb_connection *conn);
extern chdb_result *chdb_query_n(chdb_connection conn, const char *query, size_t query_len, const char *format,
                                 size_t format_len);
extern chdb_result *chdb_query_with_params_n(chdb_connection conn, const char *query, size_t query_len,
                                             const char *format, size_t format_len, const char *const *param_names,
                                             const size_t *param_name_lens, const char *const *param_values,
                                             const size_t *param_value_lens, size_t param_count);
extern char *chdb_result_buffer(chdb_result *result);
extern size_t chdb_result_length(chdb_result *result);
extern double chdb_result_elapsed(chdb_result *result);
extern uint64_t chdb_result_rows_read(chdb_result *result);
extern uint64_t chdb_result_bytes_read(chdb_result *result);
extern uint64_t chdb_result_storage_rows_read(chdb_result *result);
extern uint64_t chdb_result_storage_bytes_read(chdb_result *result);
extern uint64_t chdb_result_rows_written(chdb_result *result);
extern uint64_t chdb_result_bytes_written(chdb_result *result);
extern const char *chdb_result_error(chdb_result *result);
extern void chdb_destroy_query_result(chdb_result *result);

/* ---------------------------------------------------------------------------------------- */

#define MAX_HEAD_BYTES (16u << 20)
#define REQUEST_IO_TIMEOUT_MS 300000
#define MAX_CLIENTS 1024

static int g_argc_chdb;
static char **g_argv_chdb;
static int g_max_sessions = 16;
static int g_keep_alive_timeout = 10;
static int g_log_queries = 0;
static char g_version[64] = "unknown";
static char g_timezone[64] = "UTC";
static int g_listen_fd = -1;
static const char *g_pid_file;
static volatile int g_stopping = 0;
static int g_active_clients = 0; /* open HTTP connections */
static int g_busy_requests = 0;  /* requests being read, executed or answered */
static pthread_mutex_t g_clients_mu = PTHREAD_MUTEX_INITIALIZER;

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
    char line[4096];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = (int)strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
    n += snprintf(line + n, sizeof line - (size_t)n, ".%03ldZ ", ts.tv_nsec / 1000000);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0) m = 0;
    n += m;
    if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
    line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- growable byte buffer ---- */
typedef struct {
    char *p;
    size_t len, cap;
} buf_t;

static bool buf_reserve(buf_t *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) return false;
    b->p = p;
    b->cap = cap;
    return true;
}
static bool buf_add(buf_t *b, const void *data, size_t n)
{
    if (!buf_reserve(b, n)) return false;
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = 0;
    return true;
}
static bool buf_adds(buf_t *b, const char *s) { return buf_add(b, s, strlen(s)); }
static bool buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool buf_printf(buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !buf_reserve(b, (size_t)n)) return false;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return true;
}
static void buf_free(buf_t *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---- pool of chDB connections (each one runs one statement at a time; several run in parallel) ---- */
static chdb_connection *g_anchor; /* kept open for the whole life of the process, never used by requests */
static chdb_connection *g_idle[256];
static int g_nidle = 0, g_total = 0;
static pthread_mutex_t g_pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_pool_cv = PTHREAD_COND_INITIALIZER;

static chdb_connection *new_chdb_conn(void) { return chdb_connect(g_argc_chdb, g_argv_chdb); }

static chdb_connection *pool_acquire(void)
{
    pthread_mutex_lock(&g_pool_mu);
    while (g_nidle == 0 && g_total >= g_max_sessions) pthread_cond_wait(&g_pool_cv, &g_pool_mu);
    if (g_nidle > 0) {
        chdb_connection *c = g_idle[--g_nidle];
        pthread_mutex_unlock(&g_pool_mu);
        return c;
    }
    g_total++;
    pthread_mutex_unlock(&g_pool_mu);
    chdb_connection *c = new_chdb_conn();
    if (!c) {
        pthread_mutex_lock(&g_pool_mu);
        g_total--;
        pthread_cond_signal(&g_pool_cv);
        pthread_mutex_unlock(&g_pool_mu);
    }
    return c;
}

/* dirty: the session state of the connection may differ from a fresh one; replace it. */
static void pool_release(chdb_connection *c, bool dirty)
{
    if (dirty) {
        chdb_close_conn(c);
        c = new_chdb_conn();
    }
    pthread_mutex_lock(&g_pool_mu);
    if (c)
        g_idle[g_nidle++] = c;
    else
        g_total--;
    pthread_cond_signal(&g_pool_cv);
    pthread_mutex_unlock(&g_pool_mu);
}

/* ---- small string helpers ---- */
static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes application/x-www-form-urlencoded text in place; returns the new length. */
static size_t url_decode(char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            s[o++] = ' ';
        } else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            s[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            s[o++] = s[i];
        }
    }
    s[o] = 0;
    return o;
}

typedef struct {
    char *name;
    char *value;
    size_t value_len;
} param_t;

typedef struct {
    param_t *items;
    size_t n, cap;
} params_t;

static void params_add(params_t *ps, const char *name, size_t name_len, const char *value, size_t value_len)
{
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 16;
        param_t *p = realloc(ps->items, cap * sizeof *p);
        if (!p) return;
        ps->items = p;
        ps->cap = cap;
    }
    param_t *p = &ps->items[ps->n];
    p->name = strndup(name, name_len);
    p->value = malloc(value_len + 1);
    if (!p->name || !p->value) {
        free(p->name);
        free(p->value);
        return;
    }
    memcpy(p->value, value, value_len);
    p->value[value_len] = 0;
    p->value_len = value_len;
    ps->n++;
}

static void params_free(params_t *ps)
{
    for (size_t i = 0; i < ps->n; i++) {
        free(ps->items[i].name);
        free(ps->items[i].value);
    }
    free(ps->items);
    ps->items = NULL;
    ps->n = ps->cap = 0;
}

/* Last value wins, like ClickHouse. */
static param_t *params_get(params_t *ps, const char *name)
{
    for (size_t i = ps->n; i-- > 0;)
        if (strcmp(ps->items[i].name, name) == 0) return &ps->items[i];
    return NULL;
}

static void parse_query_string(params_t *ps, char *qs, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && qs[j] != '&') j++;
        if (j > i) {
            char *kv = qs + i;
            size_t kvn = j - i;
            char *eq = memchr(kv, '=', kvn);
            size_t kn = eq ? (size_t)(eq - kv) : kvn;
            char save = kv[kvn];
            kv[kvn] = 0;
            char *v = eq ? eq + 1 : kv + kvn;
            size_t vn = eq ? kvn - kn - 1 : 0;
            char *k = strndup(kv, kn);
            char *vv = malloc(vn + 1);
            if (k && vv) {
                memcpy(vv, v, vn);
                size_t kl = url_decode(k, kn);
                size_t vl = url_decode(vv, vn);
                params_add(ps, k, kl, vv, vl);
            }
            free(k);
            free(vv);
            kv[kvn] = save;
        }
        i = j + 1;
    }
}

static const char *memmem_ci_token(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (strncasecmp(hay + i, needle, m) == 0) return hay + i;
    return NULL;
}

/* Parses a multipart/form-data body; every part becomes a parameter (query, param_*, settings). */
static bool parse_multipart(params_t *ps, const char *content_type, const char *body, size_t n)
{
    const char *b = memmem_ci_token(content_type, strlen(content_type), "boundary=");
    if (!b) return false;
    b += 9;
    char boundary[256];
    size_t bl = 0;
    if (*b == '"') b++;
    while (*b && *b != '"' && *b != ';' && !isspace((unsigned char)*b) && bl < sizeof boundary - 3)
        boundary[bl++] = *b++;
    boundary[bl] = 0;
    char delim[264];
    int dl = snprintf(delim, sizeof delim, "--%s", boundary);
    const char *p = memmem(body, n, delim, (size_t)dl);
    while (p) {
        p += dl;
        size_t left = n - (size_t)(p - body);
        if (left >= 2 && p[0] == '-' && p[1] == '-') break; /* closing delimiter */
        const char *hend = memmem(p, left, "\r\n\r\n", 4);
        if (!hend) return false;
        const char *name = memmem_ci_token(p, (size_t)(hend - p), "name=\"");
        const char *data = hend + 4;
        const char *next = memmem(data, n - (size_t)(data - body), delim, (size_t)dl);
        if (!next) return false;
        const char *dend = next;
        if (dend - data >= 2 && dend[-2] == '\r' && dend[-1] == '\n') dend -= 2;
        if (name && name < hend) {
            name += 6;
            const char *q = memchr(name, '"', (size_t)(hend - name));
            if (q) params_add(ps, name, (size_t)(q - name), data, (size_t)(dend - data));
        }
        p = next;
    }
    return true;
}

/* ---- HTTP connection I/O ---- */
typedef struct {
    int fd;
    buf_t in; /* bytes received and not consumed yet */
    size_t pos;
} client_t;

/* Waits for more input; 0 = got data, -1 = EOF/error/timeout. */
static int client_fill(client_t *c, int timeout_ms)
{
    if (c->pos > 0 && c->pos == c->in.len) {
        c->in.len = 0;
        c->pos = 0;
    } else if (c->pos > (1u << 20)) {
        memmove(c->in.p, c->in.p + c->pos, c->in.len - c->pos);
        c->in.len -= c->pos;
        c->pos = 0;
    }
    if (!buf_reserve(&c->in, 65536)) return -1;
    for (;;) {
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        int r = poll(&pfd, 1, timeout_ms);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        ssize_t got = recv(c->fd, c->in.p + c->in.len, c->in.cap - c->in.len - 1, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return -1;
        c->in.len += (size_t)got;
        c->in.p[c->in.len] = 0;
        return 0;
    }
}

static bool send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Reads exactly n body bytes into out. */
static bool read_exact(client_t *c, buf_t *out, size_t n)
{
    while (n > 0) {
        size_t avail = c->in.len - c->pos;
        if (avail == 0) {
            if (client_fill(c, REQUEST_IO_TIMEOUT_MS) < 0) return false;
            continue;
        }
        size_t take = avail < n ? avail : n;
        if (!buf_add(out, c->in.p + c->pos, take)) return false;
        c->pos += take;
        n -= take;
    }
    return true;
}

/* Reads a CRLF-terminated line (without CRLF) into line. */
static bool read_line(client_t *c, char *line, size_t cap)
{
    for (;;) {
        char *s = c->in.p + c->pos;
        size_t avail = c->in.len - c->pos;
        char *nl = avail ? memchr(s, '\n', avail) : NULL;
        if (nl) {
            size_t l = (size_t)(nl - s);
            if (l > 0 && s[l - 1] == '\r') l--;
            if (l >= cap) return false;
            memcpy(line, s, l);
            line[l] = 0;
            c->pos += (size_t)(nl - s) + 1;
            return true;
        }
        if (avail > 4096) return false;
        if (client_fill(c, REQUEST_IO_TIMEOUT_MS) < 0) return false;
    }
}

static bool read_chunked(client_t *c, buf_t *out)
{
    char line[4096];
    for (;;) {
        if (!read_line(c, line, sizeof line)) return false;
        char *end;
        unsigned long long sz = strtoull(line, &end, 16);
        if (end == line) return false;
        if (sz == 0) {
            /* trailers until an empty line */
            for (;;) {
                if (!read_line(c, line, sizeof line)) return false;
                if (line[0] == 0) return true;
            }
        }
        if (!read_exact(c, out, (size_t)sz)) return false;
        if (!read_line(c, line, sizeof line) || line[0] != 0) return false;
    }
}

#ifdef HAVE_ZLIB
static bool gunzip(const buf_t *in, buf_t *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 32) != Z_OK) return false; /* gzip or zlib */
    zs.next_in = (Bytef *)in->p;
    zs.avail_in = (uInt)in->len;
    int r = Z_OK;
    while (r != Z_STREAM_END) {
        if (!buf_reserve(out, 65536)) break;
        zs.next_out = (Bytef *)(out->p + out->len);
        zs.avail_out = (uInt)(out->cap - out->len - 1);
        r = inflate(&zs, Z_NO_FLUSH);
        out->len = (size_t)((char *)zs.next_out - out->p);
        if (r == Z_STREAM_END && zs.avail_in > 0) { /* concatenated gzip members */
            inflateReset(&zs);
            r = Z_OK;
        }
        if (r != Z_OK && r != Z_STREAM_END) break;
        if (r == Z_OK && zs.avail_in == 0 && zs.avail_out > 0) break;
    }
    inflateEnd(&zs);
    if (out->p) out->p[out->len] = 0;
    return r == Z_STREAM_END;
}

static bool gzip_buf(const char *p, size_t n, buf_t *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 3, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return false;
    size_t bound = deflateBound(&zs, (uLong)n);
    if (!buf_reserve(out, bound)) {
        deflateEnd(&zs);
        return false;
    }
    zs.next_in = (Bytef *)p;
    zs.avail_in = (uInt)n;
    zs.next_out = (Bytef *)out->p;
    zs.avail_out = (uInt)bound;
    int r = deflate(&zs, Z_FINISH);
    out->len = zs.total_out;
    deflateEnd(&zs);
    return r == Z_STREAM_END;
}
#endif

/* ---- request handling ---- */
typedef struct {
    char method[16];
    char *target; /* path?query, owned */
    char *content_type, *content_encoding, *accept_encoding, *ch_database, *ch_format, *expect;
    bool chunked, keep_alive, has_length;
    unsigned long long content_length;
} request_t;

static void request_free(request_t *r)
{
    free(r->target);
    free(r->content_type);
    free(r->content_encoding);
    free(r->accept_encoding);
    free(r->ch_database);
    free(r->ch_format);
    free(r->expect);
    memset(r, 0, sizeof *r);
}

static char *trim_dup(const char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    return strndup(s, n);
}

/* Reads and parses the request head. 1 = ok, 0 = connection closed/idle, -1 = bad request. */
static int read_head(client_t *c, request_t *r)
{
    size_t scanned = 0;
    char *end = NULL;
    for (;;) {
        /* skip empty lines between pipelined requests */
        while (c->pos < c->in.len && (c->in.p[c->pos] == '\r' || c->in.p[c->pos] == '\n')) c->pos++;
        size_t avail = c->in.len - c->pos;
        if (avail >= 4) {
            size_t from = scanned > 3 ? scanned - 3 : 0;
            end = memmem(c->in.p + c->pos + from, avail - from, "\r\n\r\n", 4);
            if (end) break;
            scanned = avail;
        }
        if (avail > MAX_HEAD_BYTES) return -1;
        int timeout = avail == 0 ? g_keep_alive_timeout * 1000 : REQUEST_IO_TIMEOUT_MS;
        if (client_fill(c, timeout) < 0) return avail == 0 ? 0 : -1;
    }
    char *head = c->in.p + c->pos;
    size_t head_len = (size_t)(end - head) + 4;
    *end = 0;
    c->pos += head_len;

    char *save = NULL;
    char *line = strtok_r(head, "\r\n", &save);
    if (!line) return -1;
    char *sp1 = strchr(line, ' ');
    if (!sp1) return -1;
    *sp1 = 0;
    char *tgt = sp1 + 1;
    char *sp2 = strrchr(tgt, ' ');
    if (!sp2) return -1;
    *sp2 = 0;
    const char *version = sp2 + 1;
    snprintf(r->method, sizeof r->method, "%s", line);
    r->target = strdup(tgt);
    r->keep_alive = strcmp(version, "HTTP/1.0") != 0;
    while ((line = strtok_r(NULL, "\r\n", &save))) {
        char *colon = strchr(line, ':');
        if (!colon) continue;
        *colon = 0;
        char *v = colon + 1;
        if (!strcasecmp(line, "Content-Length")) {
            r->content_length = strtoull(v, NULL, 10);
            r->has_length = true;
        } else if (!strcasecmp(line, "Transfer-Encoding")) {
            r->chunked = strcasestr(v, "chunked") != NULL;
        } else if (!strcasecmp(line, "Connection")) {
            if (strcasestr(v, "close")) r->keep_alive = false;
            if (strcasestr(v, "keep-alive")) r->keep_alive = true;
        } else if (!strcasecmp(line, "Content-Type")) {
            free(r->content_type);
            r->content_type = trim_dup(v);
        } else if (!strcasecmp(line, "Content-Encoding")) {
            free(r->content_encoding);
            r->content_encoding = trim_dup(v);
        } else if (!strcasecmp(line, "Accept-Encoding")) {
            free(r->accept_encoding);
            r->accept_encoding = trim_dup(v);
        } else if (!strcasecmp(line, "X-ClickHouse-Database")) {
            free(r->ch_database);
            r->ch_database = trim_dup(v);
        } else if (!strcasecmp(line, "X-ClickHouse-Format")) {
            free(r->ch_format);
            r->ch_format = trim_dup(v);
        } else if (!strcasecmp(line, "Expect")) {
            free(r->expect);
            r->expect = trim_dup(v);
        }
    }
    return r->target ? 1 : -1;
}

typedef struct {
    int status;
    const char *content_type;
    buf_t headers; /* extra header lines, each ending with \r\n */
    const char *body;
    size_t body_len;
    bool head_only;
    bool allow_gzip;
} response_t;

static const char *status_text(int s)
{
    switch (s) {
        case 200: return "OK";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 411: return "Length Required";
        case 413: return "Payload Too Large";
        case 501: return "Not Implemented";
        default: return "Internal Server Error";
    }
}

static bool send_response(client_t *c, request_t *r, response_t *resp)
{
    buf_t h = {0};
    const char *body = resp->body;
    size_t body_len = resp->body_len;
    bool gz = false;
#ifdef HAVE_ZLIB
    buf_t zbody = {0};
    if (resp->allow_gzip && r->accept_encoding && strcasestr(r->accept_encoding, "gzip") && body_len > 0) {
        if (gzip_buf(body, body_len, &zbody)) {
            body = zbody.p;
            body_len = zbody.len;
            gz = true;
        }
    }
#endif
    buf_printf(&h, "HTTP/1.1 %d %s\r\n", resp->status, status_text(resp->status));
    if (r->keep_alive)
        buf_printf(&h, "Connection: Keep-Alive\r\nKeep-Alive: timeout=%d, max=10000\r\n", g_keep_alive_timeout);
    else
        buf_adds(&h, "Connection: Close\r\n");
    buf_printf(&h, "Content-Type: %s\r\n", resp->content_type ? resp->content_type : "text/plain; charset=UTF-8");
    buf_adds(&h, "X-ClickHouse-Server-Display-Name: chdb-http\r\n");
    if (gz) buf_adds(&h, "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n");
    if (resp->headers.len) buf_add(&h, resp->headers.p, resp->headers.len);
    buf_printf(&h, "Content-Length: %zu\r\n\r\n", body_len);
    bool ok = send_all(c->fd, h.p, h.len);
    if (ok && !resp->head_only && body_len) ok = send_all(c->fd, body, body_len);
    buf_free(&h);
#ifdef HAVE_ZLIB
    buf_free(&zbody);
#endif
    return ok;
}

static int parse_exception_code(const char *msg)
{
    const char *p = strstr(msg, "Code: ");
    return p ? atoi(p + 6) : 1001;
}

/* Mirrors the main cases of ClickHouse's exceptionCodeToHTTPStatus. */
static int http_status_for_code(int code)
{
    switch (code) {
        case 192: case 193: case 194: case 195: case 516: return 401;
        case 164: case 497: case 291: return 403;
        case 6: case 25: case 26: case 27: case 32: case 33: case 34: case 35: case 36: case 38: case 41: case 42:
        case 43: case 44: case 46: case 47: case 48: case 50: case 53: case 62: case 69: case 70: case 72:
        case 115: case 117: case 130: case 131: case 160: case 190: case 352: case 456: case 457: case 691:
            return 400;
        case 60: case 81: case 85: case 113: return 404;
        default: return 500;
    }
}

/* Names in the URL that are not settings (HTTPHandler's reserved parameters). */
static bool is_reserved_param(const char *n)
{
    static const char *const reserved[] = {
        "query", "database", "default_format", "query_id", "user", "password", "quota_key", "session_id",
        "session_timeout", "session_check", "close_session", "buffer_size", "wait_end_of_query", "stacktrace",
        "role", "compress", "decompress", "client_protocol_version", "_", "add_http_cors_header",
        "enable_http_compression", "http_zlib_compression_level", "send_progress_in_http_headers",
        "http_headers_progress_interval_ms", "http_wait_end_of_query", "http_response_buffer_size", NULL};
    if (strncmp(n, "param_", 6) == 0) return true;
    for (int i = 0; reserved[i]; i++)
        if (strcmp(n, reserved[i]) == 0) return true;
    return false;
}

static bool valid_identifier(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_') return false;
    return true;
}

/* SQL string literal with ClickHouse escaping. */
static void add_sql_string(buf_t *b, const char *s, size_t n)
{
    buf_adds(b, "'");
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'' || s[i] == '\\') buf_add(b, "\\", 1);
        buf_add(b, &s[i], 1);
    }
    buf_adds(b, "'");
}

static void add_sql_identifier(buf_t *b, const char *s)
{
    buf_adds(b, "`");
    for (; *s; s++) {
        if (*s == '`' || *s == '\\') buf_add(b, "\\", 1);
        buf_add(b, s, 1);
    }
    buf_adds(b, "`");
}

/* Skips whitespace and SQL comments. */
static const char *skip_ws_comments(const char *p, const char *end)
{
    for (;;) {
        while (p < end && isspace((unsigned char)*p)) p++;
        if (p + 1 < end && p[0] == '-' && p[1] == '-') {
            while (p < end && *p != '\n') p++;
        } else if (p + 1 < end && p[0] == '/' && p[1] == '*') {
            const char *e = memmem(p + 2, (size_t)(end - p - 2), "*/", 2);
            p = e ? e + 2 : end;
        } else {
            return p;
        }
    }
}

static bool starts_with_keyword(const char *p, const char *end, const char *kw)
{
    size_t n = strlen(kw);
    return (size_t)(end - p) >= n && strncasecmp(p, kw, n) == 0 &&
           ((size_t)(end - p) == n || !(isalnum((unsigned char)p[n]) || p[n] == '_'));
}

/* Best effort: the format named by a trailing FORMAT clause of a non-INSERT query. */
static bool trailing_format(const char *q, size_t n, char *out, size_t cap)
{
    const char *end = q + n;
    while (end > q && (isspace((unsigned char)end[-1]) || end[-1] == ';')) end--;
    const char *w = end;
    while (w > q && (isalnum((unsigned char)w[-1]) || w[-1] == '_')) w--;
    if (w == end || (size_t)(end - w) >= cap) return false;
    const char *k = w;
    while (k > q && isspace((unsigned char)k[-1])) k--;
    if (k == w || k - q < 6 || strncasecmp(k - 6, "FORMAT", 6) != 0) return false;
    if (k - q > 6 && (isalnum((unsigned char)k[-7]) || k[-7] == '_')) return false;
    memcpy(out, w, (size_t)(end - w));
    out[end - w] = 0;
    return true;
}

static const char *content_type_for(const char *fmt)
{
    if (!strncasecmp(fmt, "JSON", 4) || !strncasecmp(fmt, "PrettyJSON", 10)) {
        return strcasestr(fmt, "EachRow") ? "application/x-ndjson; charset=UTF-8" : "application/json; charset=UTF-8";
    }
    if (!strncasecmp(fmt, "TabSeparated", 12) || !strncasecmp(fmt, "TSV", 3))
        return "text/tab-separated-values; charset=UTF-8";
    if (!strncasecmp(fmt, "CSV", 3)) return "text/csv; charset=UTF-8; header=absent";
    if (!strncasecmp(fmt, "RowBinary", 9) || !strcasecmp(fmt, "Native") || !strcasecmp(fmt, "Parquet") ||
        !strncasecmp(fmt, "Arrow", 5) || !strcasecmp(fmt, "ORC") || !strcasecmp(fmt, "Avro") ||
        !strcasecmp(fmt, "Protobuf") || !strcasecmp(fmt, "MsgPack"))
        return "application/octet-stream";
    return "text/plain; charset=UTF-8";
}

static void make_query_id(char *out, size_t cap)
{
    unsigned char r[16];
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(r, 1, sizeof r, f) != sizeof r) {
        for (int i = 0; i < 16; i++) r[i] = (unsigned char)(rand() & 0xff);
    }
    if (f) fclose(f);
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    snprintf(out, cap, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3],
             r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
}

/* Runs one statement on a pooled connection; returns the chdb_result (never NULL on success path). */
static chdb_result *run_sql(chdb_connection conn, const char *sql, size_t len, const char *fmt)
{
    return chdb_query_n(conn, sql, len, fmt, strlen(fmt));
}

static const char *result_error(chdb_result *r)
{
    if (!r) return "Code: 1001. DB::Exception: chDB returned no result. (STD_EXCEPTION)";
    const char *e = chdb_result_error(r);
    return (e && *e) ? e : NULL;
}

static void log_query(const char *method, const char *qid, int status, double ms, const char *q, size_t qlen,
                      const char *err)
{
    char shown[301];
    size_t n = qlen < 300 ? qlen : 300;
    for (size_t i = 0; i < n; i++) shown[i] = (q[i] == '\n' || q[i] == '\r' || q[i] == '\t') ? ' ' : q[i];
    shown[n] = 0;
    if (err)
        logf_("%s query_id=%s status=%d %.1fms %s%s\n    %.2000s", method, qid, status, ms, shown,
              qlen > 300 ? "..." : "", err);
    else
        logf_("%s query_id=%s status=%d %.1fms %s%s", method, qid, status, ms, shown, qlen > 300 ? "..." : "");
}

/* Executes a ClickHouse HTTP query request and fills resp; result_out keeps the engine buffer alive. */
static void handle_query(request_t *r, params_t *ps, buf_t *body, response_t *resp, chdb_result **result_out,
                         buf_t *errbody)
{
    double t0 = now_s();
    char qid[128];
    param_t *pq = params_get(ps, "query_id");
    if (pq && pq->value_len > 0 && pq->value_len < sizeof qid)
        snprintf(qid, sizeof qid, "%s", pq->value);
    else
        make_query_id(qid, sizeof qid);

    /* full query text: URL/form `query`, then a newline and the body (data of an INSERT, or the query itself) */
    buf_t sql = {0};
    param_t *qp = params_get(ps, "query");
    if (qp) buf_add(&sql, qp->value, qp->value_len);
    if (body->len > 0) {
        if (qp) buf_adds(&sql, "\n");
        buf_add(&sql, body->p, body->len);
    }
    if (!sql.p) buf_adds(&sql, "");

    const char *fmt = "TabSeparated";
    param_t *df = params_get(ps, "default_format");
    if (df && df->value_len) fmt = df->value;
    else if (r->ch_format && *r->ch_format) fmt = r->ch_format;

    const char *database = NULL;
    param_t *dbp = params_get(ps, "database");
    if (dbp && dbp->value_len) database = dbp->value;
    else if (r->ch_database && *r->ch_database) database = r->ch_database;

    bool is_get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
    const char *qstart = skip_ws_comments(sql.p, sql.p + sql.len);
    const char *qend = sql.p + sql.len;
    bool is_insert = starts_with_keyword(qstart, qend, "INSERT");
    /* statements that change the state of the chDB session: the connection is replaced afterwards */
    bool changes_session = starts_with_keyword(qstart, qend, "SET") || starts_with_keyword(qstart, qend, "USE");
    if (starts_with_keyword(qstart, qend, "CREATE")) {
        const char *t = skip_ws_comments(qstart + 6, qend);
        if (starts_with_keyword(t, qend, "TEMPORARY")) changes_session = true;
    }

    char out_fmt[128];
    if (is_insert || !trailing_format(qstart, (size_t)(qend - qstart), out_fmt, sizeof out_fmt))
        snprintf(out_fmt, sizeof out_fmt, "%s", fmt);

    /* settings for this query only */
    buf_t set = {0}, reset = {0};
    bool has_readonly = false;
    for (size_t i = 0; i < ps->n; i++) {
        param_t *p = &ps->items[i];
        if (is_reserved_param(p->name)) continue;
        if (!valid_identifier(p->name)) continue;
        if (!strcmp(p->name, "readonly")) has_readonly = true;
        buf_adds(&set, set.len ? ", " : "SET ");
        buf_adds(&set, p->name);
        buf_adds(&set, " = ");
        add_sql_string(&set, p->value, p->value_len);
        buf_adds(&reset, reset.len ? ", " : "SET ");
        buf_adds(&reset, p->name);
        buf_adds(&reset, " = DEFAULT");
    }
    bool dirty = changes_session || has_readonly;
    if (is_get && !has_readonly) {
        buf_adds(&set, set.len ? ", readonly = 2" : "SET readonly = 2");
        dirty = true;
    }

    chdb_result *res = NULL;
    bool failed = false; /* the message is in errbody */
    chdb_result *aux = NULL;
    chdb_connection *conn = NULL;
    const char *e;

    if (qstart == qend) {
        buf_adds(errbody, "Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)");
        failed = true;
    } else if (!(conn = pool_acquire())) {
        buf_adds(errbody, "Code: 1001. DB::Exception: chDB connection could not be opened. (STD_EXCEPTION)");
        failed = true;
    }

    if (!failed && database) {
        buf_t use = {0};
        buf_adds(&use, "USE ");
        add_sql_identifier(&use, database);
        aux = run_sql(*conn, use.p, use.len, "TabSeparated");
        buf_free(&use);
        if ((e = result_error(aux))) {
            buf_adds(errbody, e);
            failed = true;
        }
        chdb_destroy_query_result(aux);
        aux = NULL;
    }
    if (!failed && set.len) {
        aux = run_sql(*conn, set.p, set.len, "TabSeparated");
        if ((e = result_error(aux))) {
            buf_adds(errbody, e);
            failed = true;
            dirty = true;
        }
        chdb_destroy_query_result(aux);
        aux = NULL;
    }
    if (!failed) {
        /* server-side binding of {name:Type} placeholders from param_<name> */
        size_t np = 0;
        for (size_t i = 0; i < ps->n; i++)
            if (!strncmp(ps->items[i].name, "param_", 6)) np++;
        if (np == 0) {
            res = chdb_query_n(*conn, sql.p, sql.len, fmt, strlen(fmt));
        } else {
            const char **names = calloc(np, sizeof *names), **values = calloc(np, sizeof *values);
            size_t *nlens = calloc(np, sizeof *nlens), *vlens = calloc(np, sizeof *vlens);
            size_t k = 0;
            for (size_t i = 0; names && values && nlens && vlens && i < ps->n; i++) {
                param_t *p = &ps->items[i];
                if (strncmp(p->name, "param_", 6)) continue;
                names[k] = p->name + 6;
                nlens[k] = strlen(p->name + 6);
                values[k] = p->value;
                vlens[k] = p->value_len;
                k++;
            }
            res = chdb_query_with_params_n(*conn, sql.p, sql.len, fmt, strlen(fmt), names, nlens, values, vlens, k);
            free(names);
            free(values);
            free(nlens);
            free(vlens);
        }
        if ((e = result_error(res))) {
            buf_adds(errbody, e);
            failed = true;
        }
    }
    if (conn) {
        if (!dirty && reset.len) {
            aux = run_sql(*conn, reset.p, reset.len, "TabSeparated");
            if (result_error(aux)) dirty = true;
            chdb_destroy_query_result(aux);
        }
        if (!dirty && database) {
            aux = run_sql(*conn, "USE default", 11, "TabSeparated");
            if (result_error(aux)) dirty = true;
            chdb_destroy_query_result(aux);
        }
        pool_release(conn, dirty);
    }

    double ms = (now_s() - t0) * 1000.0;
    buf_printf(&resp->headers, "X-ClickHouse-Query-Id: %s\r\nX-ClickHouse-Timezone: %s\r\n", qid, g_timezone);
    if (failed) {
        int code = parse_exception_code(errbody->p);
        resp->status = http_status_for_code(code);
        buf_printf(&resp->headers, "X-ClickHouse-Exception-Code: %d\r\n", code);
        /* ClickHouse ends the message with the server version */
        if (!strstr(errbody->p, "(version ")) buf_printf(errbody, " (version %s (chdb-http))", g_version);
        buf_adds(errbody, "\n");
        resp->body = errbody->p;
        resp->body_len = errbody->len;
        resp->content_type = "text/plain; charset=UTF-8";
        if (res) chdb_destroy_query_result(res);
        res = NULL;
    } else {
        resp->status = 200;
        uint64_t elapsed_ns = (uint64_t)(chdb_result_elapsed(res) * 1e9);
        uint64_t rr = chdb_result_storage_rows_read(res), rb = chdb_result_storage_bytes_read(res);
        uint64_t wr = chdb_result_rows_written(res), wb = chdb_result_bytes_written(res);
        uint64_t resr = is_insert ? 0 : chdb_result_rows_read(res), resb = is_insert ? 0 : chdb_result_bytes_read(res);
        buf_printf(&resp->headers, "X-ClickHouse-Format: %s\r\n", out_fmt);
        buf_printf(&resp->headers,
                   "X-ClickHouse-Summary: {\"read_rows\":\"%llu\",\"read_bytes\":\"%llu\",\"written_rows\":\"%llu\","
                   "\"written_bytes\":\"%llu\",\"total_rows_to_read\":\"%llu\",\"result_rows\":\"%llu\","
                   "\"result_bytes\":\"%llu\",\"elapsed_ns\":\"%llu\"}\r\n",
                   (unsigned long long)rr, (unsigned long long)rb, (unsigned long long)wr, (unsigned long long)wb,
                   (unsigned long long)rr, (unsigned long long)resr, (unsigned long long)resb,
                   (unsigned long long)elapsed_ns);
        resp->content_type = content_type_for(out_fmt);
        resp->body = chdb_result_buffer(res);
        resp->body_len = chdb_result_length(res);
        /* like ClickHouse: compress only when asked with enable_http_compression=1 (+ Accept-Encoding) */
        param_t *hc = params_get(ps, "enable_http_compression");
        resp->allow_gzip = hc && (!strcmp(hc->value, "1") || !strcasecmp(hc->value, "true"));
    }
    if (g_log_queries || failed) log_query(r->method, qid, resp->status, ms, sql.p, sql.len, failed ? errbody->p : NULL);
    *result_out = res;
    buf_free(&sql);
    buf_free(&set);
    buf_free(&reset);
}

static void *client_thread(void *arg)
{
    client_t c = {.fd = (int)(intptr_t)arg};
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (;;) {
        request_t r = {0};
        int h = read_head(&c, &r);
        if (h == 0) {
            request_free(&r);
            break;
        }
        pthread_mutex_lock(&g_clients_mu);
        g_busy_requests++;
        pthread_mutex_unlock(&g_clients_mu);
        response_t resp = {0};
        buf_t body = {0}, raw = {0}, errbody = {0};
        params_t ps = {0};
        chdb_result *res = NULL;
        bool keep = false;
        if (h < 0) {
            r.keep_alive = false;
            resp.status = 400;
            resp.body = "Bad Request\n";
            resp.body_len = strlen(resp.body);
            send_response(&c, &r, &resp);
            goto done;
        }
        if (r.expect && !strcasecmp(r.expect, "100-continue")) {
            static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
            if (!send_all(c.fd, cont, sizeof cont - 1)) goto done;
        }
        bool body_ok = true;
        if (r.chunked)
            body_ok = read_chunked(&c, &raw);
        else if (r.has_length && r.content_length > 0)
            body_ok = read_exact(&c, &raw, (size_t)r.content_length);
        if (!body_ok) goto done; /* connection broken mid-body */

        if (r.content_encoding && *r.content_encoding && strcasecmp(r.content_encoding, "identity")) {
#ifdef HAVE_ZLIB
            if ((!strcasecmp(r.content_encoding, "gzip") || !strcasecmp(r.content_encoding, "deflate")) &&
                gunzip(&raw, &body)) {
                buf_free(&raw);
            } else
#endif
            {
                buf_printf(&errbody, "Code: 1001. DB::Exception: Unsupported or broken Content-Encoding: %s. "
                                     "(STD_EXCEPTION)\n", r.content_encoding);
                resp.status = 400;
                buf_adds(&resp.headers, "X-ClickHouse-Exception-Code: 1001\r\n");
                resp.body = errbody.p;
                resp.body_len = errbody.len;
                keep = r.keep_alive && send_response(&c, &r, &resp);
                goto done;
            }
        } else {
            body = raw;
            memset(&raw, 0, sizeof raw);
        }

        char *qs = strchr(r.target, '?');
        char *path = r.target;
        if (qs) *qs++ = 0;
        if (qs) parse_query_string(&ps, qs, strlen(qs));
        bool is_head = !strcmp(r.method, "HEAD");
        resp.head_only = is_head;

        if (r.content_type && strncasecmp(r.content_type, "multipart/form-data", 19) == 0) {
            parse_multipart(&ps, r.content_type, body.p ? body.p : "", body.len);
            buf_free(&body);
        }

        bool has_query = params_get(&ps, "query") != NULL || body.len > 0;
        if (!strcmp(path, "/ping") || !strcmp(path, "/replicas_status") ||
            ((!strcmp(path, "/") || !*path) && !has_query && (is_head || !strcmp(r.method, "GET")))) {
            resp.status = 200;
            resp.body = "Ok.\n";
            resp.body_len = 4;
        } else if (!strcmp(r.method, "OPTIONS")) {
            resp.status = 200;
            buf_adds(&resp.headers, "Access-Control-Allow-Origin: *\r\nAccess-Control-Allow-Headers: *\r\n"
                                    "Access-Control-Allow-Methods: POST, GET, OPTIONS\r\n");
        } else if (strcmp(r.method, "GET") && strcmp(r.method, "POST") && !is_head) {
            resp.status = 405;
            resp.body = "Method not allowed\n";
            resp.body_len = strlen(resp.body);
        } else {
            handle_query(&r, &ps, &body, &resp, &res, &errbody);
        }
        keep = send_response(&c, &r, &resp) && r.keep_alive;
    done:
        if (res) chdb_destroy_query_result(res);
        buf_free(&resp.headers);
        buf_free(&body);
        buf_free(&raw);
        buf_free(&errbody);
        params_free(&ps);
        request_free(&r);
        pthread_mutex_lock(&g_clients_mu);
        g_busy_requests--;
        pthread_mutex_unlock(&g_clients_mu);
        if (!keep || g_stopping) break;
    }
    close(c.fd);
    buf_free(&c.in);
    pthread_mutex_lock(&g_clients_mu);
    g_active_clients--;
    pthread_mutex_unlock(&g_clients_mu);
    return NULL;
}

static void *signal_thread(void *arg)
{
    sigset_t *set = arg;
    int sig = 0;
    sigwait(set, &sig);
    logf_("received signal %d, shutting down", sig);
    g_stopping = 1;
    if (g_listen_fd >= 0) shutdown(g_listen_fd, SHUT_RDWR);
    /* let running requests finish (at most 5 s; idle keep-alive connections are not waited for),
       then close the engine cleanly */
    for (int i = 0; i < 50; i++) {
        pthread_mutex_lock(&g_clients_mu);
        int busy = g_busy_requests;
        pthread_mutex_unlock(&g_clients_mu);
        if (busy == 0) break;
        usleep(100000);
    }
    pthread_mutex_lock(&g_pool_mu);
    for (int i = 0; i < g_nidle; i++) chdb_close_conn(g_idle[i]);
    g_nidle = 0;
    pthread_mutex_unlock(&g_pool_mu);
    if (g_anchor) chdb_close_conn(g_anchor);
    if (g_pid_file) {
        /* remove the pid file only if it is still ours */
        FILE *f = fopen(g_pid_file, "r");
        long pid = 0;
        if (f) {
            if (fscanf(f, "%ld", &pid) != 1) pid = 0;
            fclose(f);
        }
        if (pid == (long)getpid()) unlink(g_pid_file);
    }
    logf_("stopped");
    _exit(0);
    return NULL;
}

static int run_local(int argc, char **argv)
{
    /* argv[0] is the program name for clickhouse-local; pass the rest through unchanged. */
    char **args = calloc((size_t)argc + 1, sizeof *args);
    if (!args) return 1;
    args[0] = "clickhouse";
    for (int i = 1; i < argc; i++) args[i] = argv[i];
    struct local_result_v2 *r = query_stable_v2(argc, args);
    int rc = 0;
    if (!r) {
        fprintf(stderr, "query_stable_v2 returned NULL\n");
        rc = 1;
    } else {
        if (r->buf && r->len) fwrite(r->buf, 1, r->len, stdout);
        if (r->error_message) {
            fprintf(stderr, "%s\n", r->error_message);
            rc = 1;
        }
        free_result_v2(r);
    }
    free(args);
    return rc;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: launcher serve --path=DIR [--host=127.0.0.1] [--port=8123] [--pid-file=FILE]\n"
            "                      [--max-sessions=16] [--keep-alive-timeout=10] [--log-queries]\n"
            "                      [-- extra clickhouse-local arguments]\n"
            "       launcher local [clickhouse-local arguments, e.g. --query \"SELECT version()\"]\n");
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "local")) return run_local(argc - 1, argv + 1);
    if (argc < 2 || strcmp(argv[1], "serve") != 0) {
        usage();
        return 2;
    }
    const char *path = NULL, *host = "127.0.0.1";
    int port = 8123;
    int extra_from = argc;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            extra_from = i + 1;
            break;
        } else if (!strncmp(a, "--path=", 7)) path = a + 7;
        else if (!strncmp(a, "--host=", 7)) host = a + 7;
        else if (!strncmp(a, "--port=", 7)) port = atoi(a + 7);
        else if (!strncmp(a, "--pid-file=", 11)) g_pid_file = a + 11;
        else if (!strncmp(a, "--max-sessions=", 15)) g_max_sessions = atoi(a + 15);
        else if (!strncmp(a, "--keep-alive-timeout=", 21)) g_keep_alive_timeout = atoi(a + 21);
        else if (!strcmp(a, "--log-queries")) g_log_queries = 1;
        else {
            fprintf(stderr, "unknown argument: %s\n", a);
            usage();
            return 2;
        }
    }
    if (!path || !*path || port <= 0 || port > 65535) {
        usage();
        return 2;
    }
    if (g_max_sessions < 1) g_max_sessions = 1;
    if (g_max_sessions > 256) g_max_sessions = 256;
    if (g_keep_alive_timeout < 1) g_keep_alive_timeout = 1;

    /* Own session: no controlling terminal, not killed with the shell that started it (start.sh). */
    (void)setsid();

    /* Signals: TERM/INT are handled by a dedicated thread; block them before any thread starts. */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    static sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    double t0 = now_s();
    static char path_arg[4096];
    snprintf(path_arg, sizeof path_arg, "--path=%s", path);
    g_argc_chdb = 2 + (argc - extra_from);
    g_argv_chdb = calloc((size_t)g_argc_chdb + 1, sizeof(char *));
    g_argv_chdb[0] = "clickhouse";
    g_argv_chdb[1] = path_arg;
    for (int i = extra_from; i < argc; i++) g_argv_chdb[2 + i - extra_from] = argv[i];

    g_anchor = chdb_connect(g_argc_chdb, g_argv_chdb);
    if (!g_anchor) {
        logf_("chdb_connect failed for %s (is another server using this data directory?)", path);
        return 1;
    }
    chdb_result *v = chdb_query_n(*g_anchor, "SELECT version(), timezone()", 28, "TabSeparated", 12);
    const char *verr = result_error(v);
    if (verr) {
        logf_("engine check failed: %s", verr);
        return 1;
    }
    {
        char tmp[256];
        size_t n = chdb_result_length(v);
        if (n >= sizeof tmp) n = sizeof tmp - 1;
        memcpy(tmp, chdb_result_buffer(v), n);
        tmp[n] = 0;
        char *tab = strchr(tmp, '\t');
        char *nl = strchr(tmp, '\n');
        if (nl) *nl = 0;
        if (tab) {
            *tab = 0;
            snprintf(g_timezone, sizeof g_timezone, "%.63s", tab + 1);
        }
        snprintf(g_version, sizeof g_version, "%.63s", tmp);
    }
    chdb_destroy_query_result(v);
    /* one warm connection for the first request */
    chdb_connection *first = new_chdb_conn();
    if (first) {
        g_idle[g_nidle++] = first;
        g_total = 1;
    }

    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *ai = NULL;
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    int gai = getaddrinfo(host, portstr, &hints, &ai);
    if (gai != 0 || !ai) {
        logf_("cannot resolve listen host %s: %s", host, gai_strerror(gai));
        return 1;
    }
    g_listen_fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(g_listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (g_listen_fd < 0 || bind(g_listen_fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(g_listen_fd, 4096) != 0) {
        logf_("cannot listen on %s:%d: %s", host, port, strerror(errno));
        return 1;
    }
    freeaddrinfo(ai);

    if (g_pid_file) {
        FILE *f = fopen(g_pid_file, "w");
        if (f) {
            fprintf(f, "%ld\n", (long)getpid());
            fclose(f);
        } else {
            logf_("warning: cannot write pid file %s: %s", g_pid_file, strerror(errno));
        }
    }

    pthread_t st;
    pthread_create(&st, NULL, signal_thread, &set);
    pthread_detach(st);

    logf_("ClickHouse %s (chDB engine, timezone %s) serving HTTP on http://%s:%d, data %s, pid %ld, ready in %.0f ms",
          g_version, g_timezone, host, port, path, (long)getpid(), (now_s() - t0) * 1000);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 4 << 20);
    while (!g_stopping) {
        int fd = accept4(g_listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (g_stopping) break;
            if (errno == EMFILE || errno == ENFILE) {
                usleep(100000);
                continue;
            }
            logf_("accept failed: %s", strerror(errno));
            usleep(100000);
            continue;
        }
        pthread_mutex_lock(&g_clients_mu);
        bool too_many = g_active_clients >= MAX_CLIENTS;
        if (!too_many) g_active_clients++;
        pthread_mutex_unlock(&g_clients_mu);
        if (too_many) {
            close(fd);
            continue;
        }
        pthread_t th;
        if (pthread_create(&th, &attr, client_thread, (void *)(intptr_t)fd) != 0) {
            close(fd);
            pthread_mutex_lock(&g_clients_mu);
            g_active_clients--;
            pthread_mutex_unlock(&g_clients_mu);
        }
    }
    /* the signal thread finishes the shutdown and exits the process */
    for (;;) pause();
}
