package inbound

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/logging"
	"github.com/prioritysupport/backend/models"
)

// DefaultMailgunMaxAge is how old a Mailgun signature's timestamp may be:
// 5 minutes.
const DefaultMailgunMaxAge = 5 * time.Minute

// MailgunMaxAhead is how far ahead of this server's clock a Mailgun
// timestamp may be (clock skew).
const MailgunMaxAhead = time.Minute

// mailgunPermanent is the status after which Mailgun does not retry a
// route's POST: 406 Not Acceptable.
const mailgunPermanent = http.StatusNotAcceptable

// Mailgun serves POST /inbound/mailgun/mime (and /inbound/mailgun): the
// target of a route's forward("https://host/inbound/mailgun/mime"). Mailgun
// posts the raw message whole, in body-mime, to URLs ending in "mime".
// Build it with NewMailgun.
type Mailgun struct {
	Webhook
	// SigningKey is the domain's HTTP webhook signing key
	// (PS_MAILGUN_SIGNING_KEY).
	SigningKey []byte
	// MaxAge is how old a signature's timestamp may be; 0 means
	// DefaultMailgunMaxAge.
	MaxAge time.Duration
	tokens *tokens
}

// NewMailgun returns the Mailgun endpoint of m's settings; it remembers
// signature tokens in the inbound handler's database.
func NewMailgun(m Mailgun) *Mailgun {
	if m.MaxAge <= 0 {
		m.MaxAge = DefaultMailgunMaxAge
	}
	m.tokens = &tokens{db: m.Inbound.Store.DB(), provider: ProviderMailgun}
	return &m
}

// SignMailgun returns Mailgun's signature of a timestamp and token: the hex
// HMAC-SHA256 of timestamp+token under the signing key.
func SignMailgun(key []byte, timestamp, token string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(timestamp + token))
	return hex.EncodeToString(m.Sum(nil))
}

// ServeHTTP ingests the message in body-mime and answers 200 with a
// Response. It answers 401 UNAUTHENTICATED for a missing or wrong
// signature, 401 STALE_SIGNATURE for a timestamp older than MaxAge or more
// than a minute ahead, 401 REPLAYED for a token used before; 406 (Mailgun
// does not retry it) for a request over the size cap, a form without
// body-mime or a message that cannot be parsed; 503 BUSY and 500 for what
// Mailgun should retry. Nothing is stored unless it answers 200.
func (m *Mailgun) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.finish(w, r, ProviderMailgun, m.serve(w, r))
}

func (m *Mailgun) serve(w http.ResponseWriter, r *http.Request) answer {
	body, a, ok := m.readBody(w, r, mailgunPermanent)
	if !ok {
		return a
	}
	fields, err := formFields(r.Header.Get("Content-Type"), body, "timestamp", "token", "signature", "body-mime")
	if err != nil {
		return refuse(mailgunPermanent, models.CodeBadUserInput, OutcomeUnparseable, "not a form: "+err.Error())
	}
	ts, token, sig := string(fields["timestamp"]), string(fields["token"]), string(fields["signature"])
	if ts == "" || token == "" || len(token) > maxTokenLen || !m.validSignature(ts, token, sig) {
		return refuse(http.StatusUnauthorized, models.CodeUnauthenticated, OutcomeBadAuth, "missing or invalid Mailgun signature")
	}
	now := m.now()
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return refuse(http.StatusUnauthorized, CodeStaleSignature, OutcomeStale, "the signature's timestamp is not a Unix time")
	}
	signed := time.Unix(secs, 0)
	if now.Sub(signed) > m.MaxAge || signed.Sub(now) > MailgunMaxAhead {
		return refuse(http.StatusUnauthorized, CodeStaleSignature, OutcomeStale, "the signature's timestamp is outside the accepted window")
	}
	ctx := r.Context()
	if _, err := m.tokens.prune(ctx, now); err != nil {
		logging.For(ctx, m.log()).WarnContext(ctx, "inbound webhook: prune tokens", "err", err)
	}
	if seen, err := m.tokens.seen(ctx, token, now); err != nil {
		return failed(err, 0)
	} else if seen {
		return refuse(http.StatusUnauthorized, CodeReplayed, OutcomeReplayed, "the signature's token was used before")
	}
	raw := fields["body-mime"]
	if len(raw) == 0 {
		return m.recordRefusal(ctx, ProviderMailgun, "", refuse(mailgunPermanent, models.CodeBadUserInput, OutcomeUnparseable, "no body-mime field: forward to a URL ending in mime"))
	}
	// The token is remembered with the message, in its transaction: a
	// delivery that fails leaves the token for Mailgun's retry.
	expires := signed.Add(m.MaxAge + MailgunMaxAhead)
	a = m.ingest(ctx, raw, func(ctx context.Context, tx bun.IDB, res models.IngestResult) error {
		if err := m.tokens.remember(ctx, tx, token, now, expires); err != nil {
			return err
		}
		return m.recordTaken(ctx, tx, ProviderMailgun, res.ReceivedAt)
	}, mailgunPermanent)
	if a.outcome == OutcomeUnparseable {
		a = m.recordRefusal(ctx, ProviderMailgun, "", a)
	}
	return a
}

// validSignature checks Mailgun's hex signature in constant time.
func (m *Mailgun) validSignature(timestamp, token, signature string) bool {
	got, err := hex.DecodeString(signature)
	if err != nil || len(m.SigningKey) == 0 {
		return false
	}
	want, _ := hex.DecodeString(SignMailgun(m.SigningKey, timestamp, token))
	return hmac.Equal(got, want)
}

// formFields returns the named fields of a form body, multipart/form-data
// or application/x-www-form-urlencoded (Mailgun sends either); other
// fields and parts are skipped. The body is in memory already, so nothing
// is written to disk.
func formFields(contentType string, body []byte, names ...string) (map[string][]byte, error) {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	out := make(map[string][]byte, len(names))
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, errors.New("no usable Content-Type")
	}
	switch mediaType {
	case "application/x-www-form-urlencoded":
		values, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, errors.New("malformed form")
		}
		for n := range want {
			if v, ok := values[n]; ok && len(v) > 0 {
				out[n] = []byte(v[0])
			}
		}
		return out, nil
	case "multipart/form-data":
		if params["boundary"] == "" {
			return nil, errors.New("multipart without a boundary")
		}
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			if err != nil {
				return nil, errors.New("malformed multipart form")
			}
			name := p.FormName()
			if !want[name] || out[name] != nil {
				continue
			}
			v, err := io.ReadAll(p)
			if err != nil {
				return nil, errors.New("malformed multipart form")
			}
			out[name] = v
		}
	default:
		return nil, errors.New("want multipart/form-data or application/x-www-form-urlencoded")
	}
}
