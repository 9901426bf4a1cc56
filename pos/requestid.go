package pos

import (
	"errors"

	"github.com/moov-io/iso8583"
	connection "github.com/moov-io/iso8583-connection"
)

// RequestIDGenerator matches answers to requests on terminal (DE41) + STAN
// (DE11) + message class (the MTI's second digit: "2" financial, "4"
// reversal), never on the STAN alone: two terminals may use the same STAN,
// and STANs wrap. A reversal's DE11 is its own STAN, kept by its repeats,
// so a 0410 is matched to the 0400 or 0401 that asked for it. (The client
// also matches an answer without DE41, on class and STAN, when exactly one
// waiting message has them.)
type RequestIDGenerator struct{}

var _ connection.RequestIDGenerator = RequestIDGenerator{}

// GenerateRequestID returns "<class>/<STAN>/<terminal>" for a request or its
// answer alike.
func (RequestIDGenerator) GenerateRequestID(m *iso8583.Message) (string, error) {
	if m == nil {
		return "", errors.New("pos: request id: no message")
	}
	mti, _ := m.GetString(0)
	stan, _ := m.GetString(11)
	terminal, _ := m.GetString(41)
	if len(mti) != 4 {
		return "", errors.New("pos: request id: no MTI")
	}
	if stan == "" {
		return "", errors.New("pos: request id: no STAN (DE11)")
	}
	if terminal == "" {
		return "", errors.New("pos: request id: no terminal (DE41)")
	}
	return mti[1:2] + "/" + stan + "/" + terminal, nil
}

// answerIDs is the request id generator the client's connection uses. The
// connection asks it for the id of every answer before handing the answer
// to the client, and drops the answer if it fails; the client matches
// answers itself (an answer without DE41 included), so this one never
// fails on an answer: it falls back to "<class>/<STAN>/" or "unmatched".
type answerIDs struct{}

func (answerIDs) GenerateRequestID(m *iso8583.Message) (string, error) {
	if id, err := (RequestIDGenerator{}).GenerateRequestID(m); err == nil {
		return id, nil
	}
	if m == nil {
		return "", errors.New("pos: request id: no message")
	}
	mti, _ := m.GetString(0)
	stan, _ := m.GetString(11)
	if len(mti) == 4 && stan != "" {
		return mti[1:2] + "/" + stan + "/", nil
	}
	return "unmatched", nil
}
