package inbound

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/models"
)

// postmarkPermanent is the status after which Postmark stops retrying an
// inbound webhook: 403 Forbidden.
const postmarkPermanent = http.StatusForbidden

// Postmark serves POST /inbound/postmark: the inbound webhook of a
// Postmark inbound stream with "Include raw email content in JSON payload"
// on, so the JSON carries the message whole in RawEmail. Postmark signs
// nothing; the webhook URL carries basic-auth credentials
// (https://user:password@host/inbound/postmark). Build it with
// NewPostmark.
type Postmark struct {
	Webhook
	// Auth holds the credentials (PS_POSTMARK_INBOUND_USER,
	// PS_POSTMARK_INBOUND_PASSWORD).
	Auth BasicAuth
}

// NewPostmark returns the Postmark endpoint of p's settings.
func NewPostmark(p Postmark) *Postmark { return &p }

// postmarkInbound is the part of Postmark's inbound JSON read here.
type postmarkInbound struct {
	MessageID string  `json:"MessageID"`
	RawEmail  *string `json:"RawEmail"`
}

// ServeHTTP ingests the message in RawEmail and answers 200 with a
// Response. It answers 401 UNAUTHENTICATED for missing or wrong
// credentials, before the body is read; 403 (Postmark does not retry it)
// for a request over the size cap, JSON without RawEmail (the option is
// off) or a message that cannot be parsed; 503 BUSY and 500 for what
// Postmark should retry. Nothing is stored unless it answers 200.
func (p *Postmark) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.finish(w, r, ProviderPostmark, p.serve(w, r))
}

func (p *Postmark) serve(w http.ResponseWriter, r *http.Request) answer {
	if !p.Auth.Valid(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="inbound"`)
		return refuse(http.StatusUnauthorized, models.CodeUnauthenticated, OutcomeBadAuth, "missing or invalid credentials")
	}
	body, a, ok := p.readBody(w, r, postmarkPermanent)
	ctx := r.Context()
	if !ok {
		if a.outcome == OutcomeTooLarge {
			a = p.recordRefusal(ctx, ProviderPostmark, "", a)
		}
		return a
	}
	var in postmarkInbound
	if err := json.Unmarshal(body, &in); err != nil {
		return p.recordRefusal(ctx, ProviderPostmark, "", refuse(postmarkPermanent, models.CodeBadUserInput, OutcomeUnparseable, "not Postmark inbound JSON"))
	}
	if in.RawEmail == nil || *in.RawEmail == "" {
		return p.recordRefusal(ctx, ProviderPostmark, in.MessageID, refuse(postmarkPermanent, models.CodeBadUserInput, OutcomeUnparseable,
			"no RawEmail: turn on \"Include raw email content in JSON payload\" in the inbound stream's settings"))
	}
	a = p.ingest(ctx, []byte(*in.RawEmail), func(ctx context.Context, tx bun.IDB, res models.IngestResult) error {
		return p.recordTaken(ctx, tx, ProviderPostmark, res.ReceivedAt)
	}, postmarkPermanent)
	if a.outcome == OutcomeUnparseable {
		a = p.recordRefusal(ctx, ProviderPostmark, in.MessageID, a)
	}
	return a
}
