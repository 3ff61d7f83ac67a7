package metrics

import (
	"errors"
	"maps"
	"strings"
	"testing"
	"time"
)

// TestSources: the mail-source metrics count messages by result and keep
// the last message's lag, and a second NewSources on the same registry
// shares the collectors instead of panicking.
func TestSources(t *testing.T) {
	m := New()
	s := NewSources(m.Registry())
	again := NewSources(m.Registry())
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s.Message("imap:INBOX", SourceTaken, now.Add(-90*time.Second), now)
	again.Message("imap:INBOX", SourceDuplicate, now.Add(-30*time.Second), now)
	s.Message("imap:INBOX", SourceRefused, time.Time{}, now)
	s.Run("imap", nil)
	s.Run("imap", errors.New("login refused"))
	var nilSources *Sources
	nilSources.Message("imap:INBOX", SourceTaken, now, now) // no metrics: a no-op
	got := map[string]float64{}
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if !strings.HasPrefix(f.GetName(), "ps_mail_") {
			continue
		}
		for _, metric := range f.GetMetric() {
			key := f.GetName()
			for _, l := range metric.GetLabel() {
				key += " " + l.GetName() + "=" + l.GetValue()
			}
			got[key] = metric.GetCounter().GetValue() + metric.GetGauge().GetValue()
		}
	}
	want := map[string]float64{
		"ps_mail_source_messages_total result=taken source=imap:INBOX":     1,
		"ps_mail_source_messages_total result=duplicate source=imap:INBOX": 1,
		"ps_mail_source_messages_total result=refused source=imap:INBOX":   1,
		"ps_mail_source_lag_seconds source=imap:INBOX":                     30,
		"ps_mail_source_last_message_timestamp_seconds source=imap:INBOX":  float64(now.Add(-30 * time.Second).Unix()),
		"ps_mail_connector_runs_total connector=imap result=ok":            1,
		"ps_mail_connector_runs_total connector=imap result=error":         1,
	}
	if !maps.Equal(got, want) {
		t.Errorf("metrics\n%v\nwant\n%v", got, want)
	}
}
