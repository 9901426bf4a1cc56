package views

import "time"

// SettlementFile is an imported settlement file as answers show it: the
// import's counts and, once reconciled, what matching found.
type SettlementFile struct {
	ID             string `json:"id"`
	Source         string `json:"source"`
	Filename       string `json:"filename"`
	Status         string `json:"status"`
	Rows           int64  `json:"rows"`
	BadRows        int64  `json:"bad_rows"`
	SizeBytes      int64  `json:"size_bytes"`
	FirstDay       string `json:"first_day,omitempty"`
	LastDay        string `json:"last_day,omitempty"`
	Matched        int64  `json:"matched"`
	AlreadyMatched int64  `json:"already_matched"`
	Unexpected     int64  `json:"unexpected_at_acquirer"`
	AmountMismatch int64  `json:"amount_mismatch"`
	Missing        int64  `json:"missing_at_acquirer"`
	Ignored        int64  `json:"ignored"`
	Error          string `json:"error,omitempty"`
}

// Done tells whether the file's reconciliation has finished.
func (f SettlementFile) Done() bool { return f.Status == "reconciled" || f.Status == "failed" }

// Discrepancy is a row of a settlement file that did not match as it
// should, as the reconciliation shows it.
type Discrepancy struct {
	Line           int64   `json:"line"`
	Result         string  `json:"result"`
	MatchKey       string  `json:"match_key,omitempty"`
	TerminalID     string  `json:"terminal_id,omitempty"`
	STAN           string  `json:"stan,omitempty"`
	RRN            string  `json:"rrn,omitempty"`
	GatewayRefund  string  `json:"gateway_refund_id,omitempty"`
	TransactionDay string  `json:"transaction_date"`
	Amount         int64   `json:"amount"`
	Currency       string  `json:"currency"`
	AttemptID      *string `json:"attempt_id,omitempty"`
}

// MissingRefund is an approved refund attempt the acquirer's files did not
// hold once its window had passed.
type MissingRefund struct {
	AttemptID string `json:"attempt_id"`
	MatchKey  string `json:"match_key"`
	Amount    int64  `json:"amount"`
}

// SettlementFileListItem is a settlement file as the history lists it: the
// file, how it came in (upload or pickup), who sent it and when.
type SettlementFileListItem struct {
	SettlementFile
	Via        string    `json:"via"`
	UploadedBy string    `json:"uploaded_by"`
	CreatedAt  time.Time `json:"created_at"`
}
