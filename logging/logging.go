// Package logging owns the structured logs: the process logger, the
// request id every log line of a request carries, and the access log.
package logging

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"time"
)

// New returns the process logger: JSON lines for production, text for
// development.
func New(w io.Writer, production bool) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if production {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

type requestIDKey struct{}

// RequestID returns the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// WithRequestID returns ctx carrying a request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// For returns log with the request id of ctx attached.
func For(ctx context.Context, log *slog.Logger) *slog.Logger {
	if id := RequestID(ctx); id != "" {
		return log.With("request_id", id)
	}
	return log
}

// HeaderRequestID is the header a request id is read from and echoed in.
const HeaderRequestID = "X-Request-Id"

// validRequestID accepts the ids a proxy may have set: short and plain.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// quietPaths are the probes a load balancer or an orchestrator calls every
// few seconds: their successful answers are logged at DEBUG, below the
// process logger's INFO, so they do not bury the requests that matter. A
// failing probe is still logged.
var quietPaths = map[string]bool{"/healthz": true, "/readyz": true}

// Middleware gives each request an id (the caller's X-Request-Id when it is
// plain and short, else a new one), echoes it in the response, and writes
// one access log line per request: method, path (never the query string or
// any header), status, bytes, duration_ms (milliseconds, to the
// microsecond) and the id. Successful /healthz and /readyz calls are logged
// at DEBUG; a 5xx at ERROR; anything else at INFO.
func Middleware(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			id := r.Header.Get(HeaderRequestID)
			if !validRequestID.MatchString(id) {
				id = newRequestID()
			}
			w.Header().Set(HeaderRequestID, id)
			rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
			next.ServeHTTP(rec, r.WithContext(WithRequestID(r.Context(), id)))
			level := slog.LevelInfo
			switch {
			case rec.status >= 500:
				level = slog.LevelError
			case rec.status < 400 && quietPaths[r.URL.Path]:
				level = slog.LevelDebug
			}
			log.LogAttrs(r.Context(), level, "request",
				slog.String("request_id", id),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", rec.status),
				slog.Int64("bytes", rec.bytes),
				slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			)
		})
	}
}

// newRequestID returns 16 random hex characters.
func newRequestID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (for
// flushing and websocket hijacking).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
