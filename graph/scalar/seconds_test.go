package scalar_test

import (
	"testing"
	"time"

	"github.com/prioritysupport/backend/graph/scalar"
)

// TestSecondsAreWholeAndCutTowardZero: a duration is written as whole
// seconds, cut toward zero either side of it, as the SLA fields show them.
func TestSecondsAreWholeAndCutTowardZero(t *testing.T) {
	for d, want := range map[time.Duration]string{
		3540 * time.Second:                       "3540",
		1500 * time.Millisecond:                  "1",
		-1500 * time.Millisecond:                 "-1",
		-(15*time.Minute + 999*time.Millisecond): "-900",
		0:                                        "0",
	} {
		if got := written(scalar.MarshalSeconds(d)); got != want {
			t.Errorf("MarshalSeconds(%v) = %s, want %s", d, got, want)
		}
	}
	if d, err := scalar.UnmarshalSeconds(90); err != nil || d != 90*time.Second {
		t.Errorf("UnmarshalSeconds(90) = %v, %v", d, err)
	}
	if _, err := scalar.UnmarshalSeconds(int64(scalar.MaxInt) + 1); err == nil {
		t.Error("UnmarshalSeconds accepted a number outside 32 bits")
	}
}
