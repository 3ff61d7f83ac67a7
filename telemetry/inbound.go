package telemetry

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/prioritysupport/backend/mail"
	"github.com/prioritysupport/backend/models"
)

// MailSpan is the span of receiving one inbound message; its zero value
// (tracing off) does nothing.
type MailSpan struct{ span trace.Span }

// StartMail starts the span of receiving one raw message of size bytes,
// named "inbound.Receive", child of ctx's span. The message's addresses,
// subject and body are never recorded.
func StartMail(ctx context.Context, size int) (context.Context, MailSpan) {
	if !On() {
		return ctx, MailSpan{}
	}
	ctx, span := tracer().Start(ctx, "inbound.Receive", trace.WithAttributes(attribute.Int("messaging.message.body.size", size)))
	return ctx, MailSpan{span}
}

// MessageID records the Message-ID the message carries.
func (s MailSpan) MessageID(id string) {
	if s.span != nil && id != "" {
		s.span.SetAttributes(attribute.String("messaging.message.id", id))
	}
}

// End ends the span with the ticket the message went to and whether it
// was a duplicate, or with err's code (UNPARSEABLE for a message the
// parser refused).
func (s MailSpan) End(ticketID string, duplicate bool, err error) {
	if s.span == nil {
		return
	}
	defer s.span.End()
	if err != nil {
		code := models.ErrorCode(err)
		var perr *mail.ParseError
		if errors.As(err, &perr) {
			code = "UNPARSEABLE"
		}
		s.span.SetAttributes(attribute.String("error.type", code))
		s.span.SetStatus(codes.Error, code)
		return
	}
	s.span.SetAttributes(attribute.String("ticket.id", ticketID), attribute.Bool("inbound.duplicate", duplicate))
}
