package inbound

import (
	"testing"

	"github.com/prioritysupport/backend/mail"
	"github.com/prioritysupport/backend/models"
)

// TestEmailMachineSentByDirection: a program's marks and bounces make mail
// machine-sent from either side; Precedence bulk or junk only from the
// support domain; a mailing list's marks never.
func TestEmailMachineSentByDirection(t *testing.T) {
	h := &Handler{SupportDomain: "vendor.test"}
	for _, tc := range []struct {
		header           string
		customer, vendor models.Machine
	}{
		{"", models.MachineNone, models.MachineNone},
		{"Precedence: list", models.MachineNone, models.MachineNone},
		{"List-Id: <vendor-support.acme.example>", models.MachineNone, models.MachineNone},
		{"Precedence: bulk", models.MachineNone, models.MachineAutoReply},
		{"Precedence: junk", models.MachineNone, models.MachineAutoReply},
		{"Precedence: auto_reply", models.MachineAutoReply, models.MachineAutoReply},
		{"Auto-Submitted: auto-replied", models.MachineAutoReply, models.MachineAutoReply},
		{"Auto-Submitted: auto-generated", models.MachineAutoReply, models.MachineAutoReply},
		{"Auto-Submitted: no", models.MachineNone, models.MachineNone},
		{"X-Autoreply: yes", models.MachineAutoReply, models.MachineAutoReply},
		{"X-Autorespond: yes", models.MachineAutoReply, models.MachineAutoReply},
		{"Content-Type: multipart/report; report-type=delivery-status; boundary=b", models.MachineBounce, models.MachineBounce},
	} {
		t.Run(tc.header, func(t *testing.T) {
			for _, side := range []struct {
				from      string
				direction models.Direction
				want      models.Machine
			}{
				{"ann@acme.example", models.FromCustomer, tc.customer},
				{"robot@help.vendor.test", models.FromSupport, tc.vendor},
			} {
				raw := "From: " + side.from + "\r\nSubject: x\r\n"
				if tc.header != "" {
					raw += tc.header + "\r\n"
				}
				m, err := mail.Parse([]byte(raw + "\r\n--b--\r\n"))
				if err != nil {
					t.Fatal(err)
				}
				e := h.Email(m, 0)
				if e.Direction != side.direction || e.Machine != side.want {
					t.Errorf("from %s: direction %s, machine %q; want %s, %q", side.from, e.Direction, e.Machine, side.direction, side.want)
				}
			}
		})
	}
}
