// Package httperr writes the JSON answers of the HTTP endpoints that are not
// GraphQL (token refusals, body limits, inbound email, Stripe webhooks): one
// body shape, `{"errors":[{"message":…,"extensions":{"code":…}}]}`, the
// same as GraphQL errors, and one mapping from application error codes to
// HTTP statuses. Internal errors are logged and answered with a generic
// message.
package httperr

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/prioritysupport/backend/logging"
	"github.com/prioritysupport/backend/models"
)

// Status returns the HTTP status of an application error code.
func Status(code string) int {
	switch code {
	case models.CodeUnauthenticated:
		return http.StatusUnauthorized
	case models.CodeForbidden:
		return http.StatusForbidden
	case models.CodeNotFound:
		return http.StatusNotFound
	case models.CodeBadUserInput:
		return http.StatusBadRequest
	case models.CodeConflict:
		return http.StatusConflict
	default:
		return http.StatusInternalServerError
	}
}

// Body returns the error body for one code and message.
func Body(code, message string) map[string]any {
	return map[string]any{"errors": []map[string]any{{"message": message, "extensions": map[string]string{"code": code}}}}
}

// JSON writes v as an uncacheable JSON response with the given status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) //nolint:errcheck // the client has gone
}

// Write answers with status and an error body of code and message.
func Write(w http.ResponseWriter, status int, code, message string) {
	JSON(w, status, Body(code, message))
}

// Error answers with err: an application error with its code's status and
// its message; anything else is logged with the request id and answered
// 500 INTERNAL with a generic message.
func Error(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code := models.ErrorCode(err)
	if code == models.CodeInternal {
		logging.For(r.Context(), log).ErrorContext(r.Context(), "request failed", "path", r.URL.Path, "err", err)
	}
	Write(w, Status(code), code, models.ErrorMessage(err))
}
