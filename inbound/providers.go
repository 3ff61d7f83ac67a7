package inbound

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/httperr"
	"github.com/prioritysupport/backend/logging"
	"github.com/prioritysupport/backend/mail"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"
)

// The mail providers whose inbound webhooks feed the same ingestion path
// as POST /inbound/email (Handler.Receive).
const (
	ProviderMailgun  = "mailgun"
	ProviderSES      = "ses"
	ProviderPostmark = "postmark"
)

// The outcomes of one provider delivery: the label of the per-provider
// metric and what the source stats record.
const (
	OutcomeStored      = "stored"      // a new message, ingested
	OutcomeDuplicate   = "duplicate"   // a message stored before (its Message-ID)
	OutcomeBadAuth     = "bad_auth"    // missing or wrong signature or credentials
	OutcomeStale       = "stale"       // a signature timestamp outside the window
	OutcomeReplayed    = "replayed"    // a signature token seen before
	OutcomeTopic       = "topic"       // an SNS topic not on the allow-list
	OutcomeUnparseable = "unparseable" // a payload or message that cannot be read
	OutcomeTooLarge    = "too_large"   // over the size cap
	OutcomeBusy        = "busy"        // too many bytes in flight; the provider retries
	OutcomeError       = "error"       // a transient failure; the provider retries
	OutcomeConfirmed   = "confirmed"   // an SNS subscription confirmed
	OutcomeIgnored     = "ignored"     // a signed notice that carries no mail
)

// Taken reports whether the outcome took a message in (stored, or stored
// before).
func Taken(outcome string) bool { return outcome == OutcomeStored || outcome == OutcomeDuplicate }

// CodeStaleSignature is the code of a 401 for a signature whose timestamp
// is too old (or too far ahead).
const CodeStaleSignature = "STALE_SIGNATURE"

// CodeReplayed is the code of a 401 for a signature token that was used
// before.
const CodeReplayed = "REPLAYED"

// Delivery is what became of one provider webhook request: its provider,
// outcome, the size of the raw message and the ingestion's result when
// one was taken.
type Delivery struct {
	Provider string
	Outcome  string
	Bytes    int
	Result   models.IngestResult
	// Refused is set for a message refused after its delivery was
	// authenticated (counted as refused in the source stats).
	Refused bool
}

// Observer is told of every provider delivery once, after it is answered
// (metrics, the store's source stats). It must not block for long.
type Observer func(ctx context.Context, d Delivery)

// Webhook holds what every provider endpoint shares: the ingestion path
// with its size cap and in-flight bytes (Handler, built with NewHandler),
// the observer and the clock.
type Webhook struct {
	Inbound *Handler
	// Observe, when not nil, is told of every delivery.
	Observe Observer
	// Now is the clock of signature timestamps; nil means time.Now.
	Now func() time.Time
}

func (w Webhook) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w Webhook) log() *slog.Logger { return w.Inbound.Log }

// answer is a provider endpoint's reply to one request: status, error
// code and message (no code for success), outcome and, for a message
// taken in, the ingestion's result.
type answer struct {
	status  int
	code    string
	message string
	outcome string
	bytes   int
	result  models.IngestResult
	body    any   // a success body; nil means the Response of result
	err     error // for the log only: what failed (may hold internals)
	refused bool  // counted as refused in the source stats
}

// refuse returns the answer of a refusal.
func refuse(status int, code, outcome, message string) answer {
	return answer{status: status, code: code, outcome: outcome, message: message}
}

// finish writes a, logs the request in one line (never a secret, never
// the message's content) and tells the observer.
func (w Webhook) finish(rw http.ResponseWriter, r *http.Request, provider string, a answer) {
	if a.status >= 500 && a.code == "" {
		a.code = models.CodeInternal
	}
	if a.status == http.StatusServiceUnavailable {
		rw.Header().Set("Retry-After", "5")
	}
	switch {
	case a.code != "":
		httperr.Write(rw, a.status, a.code, a.message)
	case a.body != nil:
		httperr.JSON(rw, a.status, a.body)
	default:
		httperr.JSON(rw, a.status, Response{TicketID: a.result.TicketID, Priority: a.result.Priority, Duplicate: a.result.Duplicate})
	}
	attrs := []any{"provider", provider, "outcome", a.outcome, "status", a.status, "bytes", a.bytes, "remote_addr", r.RemoteAddr}
	if a.result.TicketID != "" {
		attrs = append(attrs, "ticket_id", a.result.TicketID, "priority", a.result.Priority, "duplicate", a.result.Duplicate)
	}
	level := slog.LevelInfo
	switch {
	case a.status >= 500:
		level = slog.LevelError
		if a.err != nil {
			attrs = append(attrs, "err", a.err)
		}
	case a.status >= 400:
		level = slog.LevelWarn
		attrs = append(attrs, "reason", a.message)
	}
	logging.For(r.Context(), w.log()).Log(r.Context(), level, "inbound webhook", attrs...)
	if w.Observe != nil {
		w.Observe(r.Context(), Delivery{Provider: provider, Outcome: a.outcome, Bytes: a.bytes, Result: a.result, Refused: a.refused})
	}
}

// readBody reads the whole request body, envelope included, under the
// inbound size cap (PS_INBOUND_MAX_BYTES) and with room among the bodies
// in flight, as POST /inbound/email does. permanent is the status that
// tells the provider not to retry; a body over the cap gets it, since a
// retry would be as large. When ok is false, a is the refusal.
func (w Webhook) readBody(rw http.ResponseWriter, r *http.Request, permanent int) ([]byte, answer, bool) {
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		return nil, refuse(http.StatusMethodNotAllowed, models.CodeBadUserInput, OutcomeUnparseable, "use POST"), false
	}
	body, err := w.Inbound.readBody(rw, r)
	switch {
	case errors.Is(err, errTooLarge):
		return nil, refuse(permanent, models.CodeBadUserInput, OutcomeTooLarge, fmt.Sprintf("request is larger than %d bytes", w.Inbound.MaxBytes)), false
	case errors.Is(err, errBusy):
		return nil, refuse(http.StatusServiceUnavailable, CodeBusy, OutcomeBusy, "too many messages are being received at once; retry shortly"), false
	case err != nil:
		return nil, refuse(http.StatusBadRequest, models.CodeBadUserInput, OutcomeUnparseable, "could not read the request body"), false
	}
	return body, answer{}, true
}

// ingest hands raw to the one ingestion path. A message that cannot be
// parsed, or that the store refuses as bad input, gets permanent (the
// provider's "do not retry"); any other failure 500, which the provider
// retries.
func (w Webhook) ingest(ctx context.Context, raw []byte, also store.AlsoInTx, permanent int) answer {
	res, err := w.Inbound.Receive(ctx, raw, also)
	var perr *mail.ParseError
	switch {
	case errors.As(err, &perr):
		return answer{status: permanent, code: models.CodeBadUserInput, outcome: OutcomeUnparseable, bytes: len(raw), message: "unparseable message: " + perr.Reason}
	case errors.Is(err, errReplayed):
		return refuse(http.StatusUnauthorized, CodeReplayed, OutcomeReplayed, "the signature's token was used before")
	case err != nil && models.ErrorCode(err) == models.CodeBadUserInput:
		return answer{status: permanent, code: models.CodeBadUserInput, outcome: OutcomeUnparseable, bytes: len(raw), message: models.ErrorMessage(err)}
	case err != nil:
		return failed(err, len(raw))
	}
	a := answer{status: http.StatusOK, outcome: OutcomeStored, bytes: len(raw), result: res}
	if res.Duplicate {
		a.outcome = OutcomeDuplicate
	}
	return a
}

// SourceName returns the name of a provider's webhook among the store's
// mail sources: "webhook:<provider>".
func SourceName(provider string) string { return "webhook:" + provider }

// recordTaken counts a message taken in the source stats, on tx (the
// ingestion's transaction, so the count commits with the message);
// received is the message's received time, which the source's last message
// time and lag are of.
func (w Webhook) recordTaken(ctx context.Context, tx bun.IDB, provider string, received time.Time) error {
	return w.Inbound.Store.RecordIntake(ctx, tx, SourceName(provider), received, "")
}

// recordRefusal counts a, a refused message an authenticated delivery
// brought, in the source stats (ref: the provider's id of it, or "") and
// returns a marked so. Deliveries that fail authentication are not
// counted: strangers send those.
func (w Webhook) recordRefusal(ctx context.Context, provider, ref string, a answer) answer {
	if err := w.Inbound.Store.RecordRefusal(ctx, nil, SourceName(provider), ref, time.Time{}, a.message); err != nil {
		logging.For(ctx, w.log()).WarnContext(ctx, "inbound webhook: record refusal", "provider", provider, "err", err)
	}
	a.refused = true
	return a
}

// failed returns a 500 the provider retries; err (which may hold
// internals) goes to the log only.
func failed(err error, bytes int) answer {
	return answer{status: http.StatusInternalServerError, code: models.CodeInternal, outcome: OutcomeError, bytes: bytes, message: "internal error; retry later", err: err}
}

// BasicAuth holds the credentials a provider puts in the webhook URL
// (https://user:password@host/...), which arrive as HTTP basic auth.
type BasicAuth struct {
	user, password [sha256.Size]byte
}

// NewBasicAuth returns the check of user and password.
func NewBasicAuth(user, password string) BasicAuth {
	return BasicAuth{user: sha256.Sum256([]byte(user)), password: sha256.Sum256([]byte(password))}
}

// Valid reports whether r carries the credentials. It compares SHA-256
// digests in constant time, both of them always, so it reveals neither
// the credentials, their lengths nor which one was wrong.
func (b BasicAuth) Valid(r *http.Request) bool {
	user, password, ok := r.BasicAuth()
	u, p := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(password))
	match := subtle.ConstantTimeCompare(u[:], b.user[:]) & subtle.ConstantTimeCompare(p[:], b.password[:])
	return ok && match == 1
}
