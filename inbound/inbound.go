// Package inbound owns the inbound-email endpoint (POST /inbound/email,
// SPEC §4): it authenticates the helpdesk's HMAC signature, parses the raw
// message (package mail), decides its direction and whether a machine sent
// it, and hands it to the store, which threads it and runs the SLA clocks.
package inbound

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/prioritysupport/backend/httperr"
	"github.com/prioritysupport/backend/logging"
	"github.com/prioritysupport/backend/mail"
	"github.com/prioritysupport/backend/models"
	"github.com/prioritysupport/backend/store"
	"github.com/prioritysupport/backend/telemetry"
)

// DefaultMaxBytes caps one raw message: 25 MiB, the common limit of mail
// systems (attachments included).
const DefaultMaxBytes = 25 << 20

// DefaultMaxInflightBytes caps the bytes of message bodies read at once,
// across requests: an unsigned request must be read whole before its
// signature can be checked, so this bounds what strangers can make the
// server hold.
const DefaultMaxInflightBytes = 64 << 20

// DefaultInflightWait is how long a request waits for room among the
// bodies in flight before it is answered 503.
const DefaultInflightWait = 10 * time.Second

// SignatureHeader carries "sha256=<hex HMAC-SHA256 of the body>".
const SignatureHeader = "X-Signature"

// Handler serves POST /inbound/email. Build it with NewHandler.
type Handler struct {
	Store         *store.Store
	Secret        []byte // the PS_INBOUND_SECRET the helpdesk signs with
	SupportDomain string // mail from it or its subdomains is a support reply
	MaxBytes      int64  // 0 means DefaultMaxBytes
	Log           *slog.Logger
	// InflightWait is how long a request waits for room among the bodies
	// in flight; 0 means DefaultInflightWait.
	InflightWait time.Duration
	// inflight holds a weight for each body being read: its declared
	// length, or MaxBytes when it declares none.
	inflight *semaphore.Weighted
}

// NewHandler returns the handler of h's settings reading at most
// maxInflight bytes of bodies at once (0 means DefaultMaxInflightBytes; it
// is raised to the size cap when below it).
func NewHandler(h Handler, maxInflight int64) *Handler {
	if h.MaxBytes <= 0 {
		h.MaxBytes = DefaultMaxBytes
	}
	if maxInflight <= 0 {
		maxInflight = DefaultMaxInflightBytes
	}
	if h.InflightWait <= 0 {
		h.InflightWait = DefaultInflightWait
	}
	if h.Log == nil {
		h.Log = slog.Default()
	}
	h.inflight = semaphore.NewWeighted(max(maxInflight, h.MaxBytes))
	return &h
}

// Response is the endpoint's answer for a stored (or already stored) message.
type Response struct {
	TicketID  string `json:"ticketId"`
	Priority  bool   `json:"priority"`
	Duplicate bool   `json:"duplicate"`
}

// ServeHTTP answers 200 with a Response; 401 for a missing or wrong
// signature (a missing or malformed one before the body is read); 400 with
// a reason for a message that cannot be parsed; 413 for one over the size
// cap; 405 for another method; 503 when too many bytes of other bodies are
// being read and none frees up in time. Nothing is stored unless it
// answers 200.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		httperr.Write(w, http.StatusMethodNotAllowed, models.CodeBadUserInput, "use POST with the raw message as the body")
		return
	}
	max := h.MaxBytes
	if !wellFormedSignature(r.Header.Get(SignatureHeader)) {
		logging.For(r.Context(), h.Log).WarnContext(r.Context(), "inbound email refused: bad signature", "remote_addr", r.RemoteAddr)
		httperr.Write(w, http.StatusUnauthorized, models.CodeUnauthenticated, "missing or invalid X-Signature")
		return
	}
	raw, err := h.readBody(w, r)
	switch {
	case errors.Is(err, errTooLarge):
		httperr.Write(w, http.StatusRequestEntityTooLarge, models.CodeBadUserInput, fmt.Sprintf("message is larger than %d bytes", max))
		return
	case errors.Is(err, errBusy):
		logging.For(r.Context(), h.Log).WarnContext(r.Context(), "inbound email refused: too many bytes in flight", "declared_bytes", r.ContentLength)
		w.Header().Set("Retry-After", "5")
		httperr.Write(w, http.StatusServiceUnavailable, CodeBusy, "too many messages are being received at once; retry shortly")
		return
	case err != nil:
		httperr.Write(w, http.StatusBadRequest, models.CodeBadUserInput, "could not read the message body")
		return
	}
	if !h.validSignature(r.Header.Get(SignatureHeader), raw) {
		logging.For(r.Context(), h.Log).WarnContext(r.Context(), "inbound email refused: bad signature", "remote_addr", r.RemoteAddr)
		httperr.Write(w, http.StatusUnauthorized, models.CodeUnauthenticated, "missing or invalid X-Signature")
		return
	}
	res, err := h.Receive(r.Context(), raw, nil)
	var perr *mail.ParseError
	if errors.As(err, &perr) {
		logging.For(r.Context(), h.Log).InfoContext(r.Context(), "inbound email refused", "reason", perr.Reason, "bytes", len(raw))
		httperr.Write(w, http.StatusBadRequest, models.CodeBadUserInput, "unparseable message: "+perr.Reason)
		return
	}
	if err != nil {
		httperr.Error(w, r, h.Log, err)
		return
	}
	logging.For(r.Context(), h.Log).InfoContext(r.Context(), "inbound email",
		"ticket_id", res.TicketID, "priority", res.Priority, "duplicate", res.Duplicate, "bytes", len(raw))
	httperr.JSON(w, http.StatusOK, Response{TicketID: res.TicketID, Priority: res.Priority, Duplicate: res.Duplicate})
}

// Receive parses one raw message and ingests it: the one path every source
// of mail takes (this endpoint, provider webhooks, mailbox connectors), so
// parsing, direction, threading and duplicates are decided the same way.
// also, when not nil, runs inside the ingestion's transaction (see
// store.AlsoInTx). A message the parser refuses returns a *mail.ParseError
// and stores nothing. With tracing on it runs in an "inbound.Receive" span.
func (h *Handler) Receive(ctx context.Context, raw []byte, also store.AlsoInTx) (res models.IngestResult, err error) {
	ctx, span := telemetry.StartMail(ctx, len(raw))
	defer func() { span.End(res.TicketID, res.Duplicate, err) }()
	msg, err := mail.Parse(raw)
	if err != nil {
		return models.IngestResult{}, err
	}
	span.MessageID(msg.MessageID)
	return h.Store.IngestEmailWith(ctx, h.Email(msg, len(raw)), also)
}

// Why readBody read no body.
var (
	errTooLarge = errors.New("body over the size cap")
	errBusy     = errors.New("too many bytes of bodies in flight")
)

// readBody reads r's whole body, at most h.MaxBytes, while holding its
// weight among the bodies being read at once: its declared length, or the
// cap when it declares none. It returns errTooLarge for a body over the cap
// (declared or read), errBusy when no room frees up within
// h.InflightWait, and the read error otherwise.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > h.MaxBytes {
		return nil, errTooLarge
	}
	weight := h.MaxBytes
	if r.ContentLength >= 0 {
		weight = r.ContentLength
	}
	wait, cancel := context.WithTimeout(r.Context(), h.InflightWait)
	err := h.inflight.Acquire(wait, weight)
	cancel()
	if err != nil {
		return nil, errBusy
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.MaxBytes))
	h.inflight.Release(weight)
	if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
		return nil, errTooLarge
	}
	return body, err
}

// CodeBusy is the code of a 503: the server is receiving too much mail at
// once; the sender should retry.
const CodeBusy = "BUSY"

// wellFormedSignature reports whether header has the shape
// "sha256=<64 hex digits>", so a request that cannot be genuine is refused
// before its body is read.
func wellFormedSignature(header string) bool {
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok || len(hexSig) != 2*sha256.Size {
		return false
	}
	_, err := hex.DecodeString(hexSig)
	return err == nil
}

// validSignature checks "sha256=<hex>" against the body's HMAC in constant
// time.
func (h *Handler) validSignature(header string, body []byte) bool {
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok || len(h.Secret) == 0 {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return false
	}
	return hmac.Equal(got, Sign(h.Secret, body))
}

// Sign returns the HMAC-SHA256 of body under secret; the header value is
// "sha256=" + hex of it.
func Sign(secret, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return m.Sum(nil)
}

// Email turns a parsed message into what the store ingests: mail from the
// support domain (or a subdomain) is support mail, the rest customer mail.
//
// Whether a machine sent it is decided here, where the direction is known
// (SPEC §2). A bounce (mail.Message.Bounce) or a program's message
// (mail.Message.AutoReply: Auto-Submitted other than "no", X-Autoreply,
// X-Autorespond, Precedence auto_reply) is machine mail from either side.
// Mail marked bulk (mail.Message.Bulk: Precedence bulk or junk) is machine
// mail only from the support domain, where it is an acknowledgement robot's
// and must not stop a clock; from a customer it is a person's post that a
// list server marked, and it starts one. A mailing list's own marks
// (List-Id, Precedence list) make no mail machine-sent.
func (h *Handler) Email(m *mail.Message, size int) models.InboundEmail {
	e := models.InboundEmail{
		MessageID: m.MessageID, Direction: models.FromCustomer, From: m.From, FromName: m.FromName,
		FromDomain: m.FromDomain, To: m.To, Subject: m.Subject, ReceivedAt: m.ReceivedAt, SentAt: m.Date,
		InReplyTo: m.InReplyTo, References: m.References, BodyText: m.Text, Attachments: len(m.Attachments), Size: size,
	}
	if models.DomainCovers(h.SupportDomain, m.FromDomain) {
		e.Direction = models.FromSupport
	}
	switch {
	case m.Bounce:
		e.Machine = models.MachineBounce
	case m.AutoReply, m.Bulk && e.Direction == models.FromSupport:
		e.Machine = models.MachineAutoReply
	}
	e.TicketToken, _ = mail.FindTicketToken(m.Subject)
	e.MessageID, e.From, e.FromName, e.FromDomain = clean(e.MessageID), clean(e.From), clean(e.FromName), clean(e.FromDomain)
	e.Subject, e.BodyText = clean(e.Subject), clean(e.BodyText)
	e.To = cleanAll(e.To)
	e.InReplyTo, e.References = cleanAll(e.InReplyTo), cleanAll(e.References)
	return e
}

// clean makes text storable in both databases: valid UTF-8 without NUL
// bytes (PostgreSQL text refuses both), whatever charset mistakes the
// sender's mail program made.
func clean(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// cleanAll cleans every string of a list.
func cleanAll(list []string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s = clean(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
