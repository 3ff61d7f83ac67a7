package inbound

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/uptrace/bun"

	"github.com/prioritysupport/backend/models"
)

// sesPermanent is the status of a permanently bad delivery: SNS retries
// only server errors (5xx) and failed connections, never a 4xx.
const sesPermanent = http.StatusBadRequest

// SES serves POST /inbound/ses: an SNS topic's HTTPS subscription that an
// SES receipt rule's SNS action publishes to, each notification carrying
// the raw message inline (content, base64 when the action's encoding is
// BASE64; SES publishes messages up to 150 KB this way). Build it with
// NewSES.
type SES struct {
	Webhook
	// Topics are the topic ARNs accepted (PS_SES_TOPIC_ARNS).
	Topics []string
	// Verifier checks signatures and confirms subscriptions.
	Verifier *SNSVerifier
}

// NewSES returns the SES endpoint of s's settings; a nil Verifier is one
// that trusts SNS hosts only.
func NewSES(s SES) *SES {
	if s.Verifier == nil {
		s.Verifier = &SNSVerifier{}
	}
	return &s
}

// sesNotification is the part of an SES receipt notification read here.
type sesNotification struct {
	NotificationType string `json:"notificationType"`
	Receipt          struct {
		Action struct {
			Type     string `json:"type"`
			Encoding string `json:"encoding"`
		} `json:"action"`
	} `json:"receipt"`
	Mail struct {
		MessageID string `json:"messageId"`
	} `json:"mail"`
	Content *string `json:"content"`
}

// ServeHTTP answers an SNS delivery. Every one must be signed by SNS
// (SignatureVersion 1 or 2, certificate from an SNS host over https) for
// a topic on the allow-list. A SubscriptionConfirmation is confirmed at
// once by a GET of its SubscribeURL (an SNS host too) and answered 200
// {"confirmed":true}; an UnsubscribeConfirmation is logged and answered
// 200. A Notification's message is ingested and answered 200 with a
// Response.
//
// Refusals: 401 UNAUTHENTICATED for a bad signature or a certificate or
// subscribe URL off the SNS hosts; 403 FORBIDDEN for a topic not on the
// list; 400 (SNS does not retry a 4xx) for what is not an SNS message, a
// notification without inline content, and a message that cannot be
// parsed or is over the size cap; 503 BUSY and 500 (SNS retries) when the
// server is busy, a certificate cannot be fetched, the confirmation fails
// or the store fails. Nothing is stored unless it answers 200.
func (s *SES) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.finish(w, r, ProviderSES, s.serve(w, r))
}

func (s *SES) serve(w http.ResponseWriter, r *http.Request) answer {
	body, a, ok := s.readBody(w, r, sesPermanent)
	if !ok {
		return a
	}
	var m SNSMessage
	if err := json.Unmarshal(body, &m); err != nil || m.Type == "" {
		return refuse(sesPermanent, models.CodeBadUserInput, OutcomeUnparseable, "not an SNS message")
	}
	ctx := r.Context()
	if !slices.Contains(s.Topics, m.TopicArn) {
		return refuse(http.StatusForbidden, models.CodeForbidden, OutcomeTopic, "topic is not accepted here; add it to PS_SES_TOPIC_ARNS")
	}
	switch m.Type {
	case SNSNotification, SNSSubscriptionConfirmation, SNSUnsubscribeConfirmation:
	default:
		return refuse(sesPermanent, models.CodeBadUserInput, OutcomeUnparseable, "unknown SNS message type")
	}
	if err := s.Verifier.Verify(ctx, &m); errors.Is(err, errSNSSignature) {
		return refuse(http.StatusUnauthorized, models.CodeUnauthenticated, OutcomeBadAuth, err.Error())
	} else if err != nil {
		return failed(err, 0)
	}
	switch m.Type {
	case SNSSubscriptionConfirmation:
		if err := s.Verifier.Confirm(ctx, &m); errors.Is(err, errSNSSignature) {
			return refuse(http.StatusUnauthorized, models.CodeUnauthenticated, OutcomeBadAuth, err.Error())
		} else if err != nil {
			return answer{status: http.StatusBadGateway, code: models.CodeInternal, outcome: OutcomeError,
				message: "could not confirm the subscription; retry later",
				err:     fmt.Errorf("topic %s: %w (SNS sends the confirmation again; or confirm it in the SNS console)", m.TopicArn, err)}
		}
		return answer{status: http.StatusOK, outcome: OutcomeConfirmed, body: map[string]bool{"confirmed": true}}
	case SNSUnsubscribeConfirmation:
		return answer{status: http.StatusOK, outcome: OutcomeIgnored, body: map[string]bool{"received": true}}
	}
	var n sesNotification
	if err := json.Unmarshal([]byte(m.Message), &n); err != nil || n.NotificationType != "Received" {
		return refuse(sesPermanent, models.CodeBadUserInput, OutcomeUnparseable, "not an SES receipt notification")
	}
	if n.Content == nil {
		return s.recordRefusal(ctx, ProviderSES, n.Mail.MessageID, refuse(sesPermanent, models.CodeBadUserInput, OutcomeUnparseable,
			"the notification has no content: use the receipt rule's SNS action, not an S3 or other action's notice"))
	}
	raw := []byte(*n.Content)
	if strings.EqualFold(n.Receipt.Action.Encoding, "BASE64") {
		dec, err := base64.StdEncoding.DecodeString(*n.Content)
		if err != nil {
			return s.recordRefusal(ctx, ProviderSES, n.Mail.MessageID, refuse(sesPermanent, models.CodeBadUserInput, OutcomeUnparseable, "content is not base64"))
		}
		raw = dec
	}
	a = s.ingest(ctx, raw, func(ctx context.Context, tx bun.IDB, res models.IngestResult) error {
		return s.recordTaken(ctx, tx, ProviderSES, res.ReceivedAt)
	}, sesPermanent)
	if a.outcome == OutcomeUnparseable {
		a = s.recordRefusal(ctx, ProviderSES, n.Mail.MessageID, a)
	}
	return a
}
