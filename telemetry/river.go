package telemetry

import (
	"github.com/riverqueue/river/rivertype"
	"github.com/riverqueue/rivercontrib/otelriver"
)

// RiverMiddleware returns River's OpenTelemetry middleware (otelriver): a
// consumer span per job worked, named "river.work/<kind>", with its kind,
// queue, attempt and status (never its arguments), parent of the spans of
// the job's own queries; and a producer span per insert. A job inserted
// inside a traced operation carries its trace context in its metadata and
// its work span links back to that operation. With tracing off the spans
// are the no-op provider's.
func RiverMiddleware() rivertype.Middleware {
	return otelriver.NewMiddleware(&otelriver.MiddlewareConfig{
		EnableTracePropagation:      true,
		EnableWorkSpanJobKindSuffix: true,
	})
}
