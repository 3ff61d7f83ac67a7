package mail

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkParse measures Parse on a Gmail message with a PDF attachment and
// on an Outlook reply with a quoted thread; run with -benchmem.
func BenchmarkParse(b *testing.B) {
	for _, name := range []string{"gmail-multipart-attachment.eml", "outlook-reply-quoted-thread.eml"} {
		raw, err := os.ReadFile(filepath.Join(sampleDir, name))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
