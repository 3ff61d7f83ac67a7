package auth

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/prioritysupport/backend/httperr"
	"github.com/prioritysupport/backend/logging"
	"github.com/prioritysupport/backend/models"
)

// Middleware returns HTTP middleware that authenticates requests from the
// "Authorization: Bearer <token>" header using v.
//
// A request without the header goes on anonymous, with no caller in its
// context. A header that is not a single well-formed Bearer credential, or
// a token v refuses, stops the request with HTTP 401 and a JSON body
// {"errors":[{"message":"<reason>","extensions":{"code":"UNAUTHENTICATED"}}]},
// and logs "token refused" at WARN on log with the reason, remote address
// and path; neither the token nor the header is ever logged. A verified
// caller is put into the request context with WithCaller.
//
// A nil log means slog.Default(). Middleware panics if v is nil.
func Middleware(v *Verifier, log *slog.Logger) func(http.Handler) http.Handler {
	if v == nil {
		panic("auth: Middleware needs a non-nil Verifier")
	}
	if log == nil {
		log = slog.Default()
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			values := r.Header.Values("Authorization")
			if len(values) == 0 {
				next.ServeHTTP(w, r)
				return
			}
			token, ok := bearerToken(values)
			if !ok {
				refuse(w, r, log, "malformed authorization header", `Bearer`)
				return
			}
			caller, err := v.Verify(token)
			if err != nil {
				refuse(w, r, log, models.ErrorMessage(err), `Bearer error="invalid_token"`)
				return
			}
			next.ServeHTTP(w, r.WithContext(WithCaller(r.Context(), caller)))
		})
	}
}

// bearerToken returns the token of a single "Bearer <token>" header value.
// The scheme is matched case-insensitively.
func bearerToken(values []string) (string, bool) {
	if len(values) != 1 {
		return "", false
	}
	scheme, rest, found := strings.Cut(strings.TrimSpace(values[0]), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token := strings.TrimLeft(rest, " ")
	if token == "" || strings.ContainsAny(token, " \t\r\n") {
		return "", false
	}
	return token, true
}

// refuse logs the refusal and answers 401 with reason as the message.
func refuse(w http.ResponseWriter, r *http.Request, log *slog.Logger, reason, challenge string) {
	logging.For(r.Context(), log).WarnContext(r.Context(), "token refused",
		slog.String("reason", reason),
		slog.String("remote_addr", r.RemoteAddr),
		slog.String("path", r.URL.Path),
	)
	w.Header().Set("WWW-Authenticate", challenge)
	httperr.Write(w, http.StatusUnauthorized, models.CodeUnauthenticated, reason)
}
