package pos

import (
	"encoding/csv"
	"fmt"
	"io"
)

// SettlementWriter writes a settlement file a row at a time, so that a file
// of any size streams out: the header first, then each item checked as
// WriteSettlement checks it.
type SettlementWriter struct {
	cw   *csv.Writer
	rows int
}

// NewSettlementWriter writes the header row to w.
func NewSettlementWriter(w io.Writer) (*SettlementWriter, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(SettlementColumns); err != nil {
		return nil, err
	}
	return &SettlementWriter{cw: cw}, nil
}

// Write writes one item; an item that would not read back the same is
// refused, naming its row and column.
func (sw *SettlementWriter) Write(it SettlementItem) error {
	sw.rows++
	if err := it.validate(); err != nil {
		return fmt.Errorf("pos: settlement item %d: %w", sw.rows, err)
	}
	return sw.cw.Write(it.record())
}

// Flush writes out what is buffered and answers the first error of any
// write.
func (sw *SettlementWriter) Flush() error {
	sw.cw.Flush()
	return sw.cw.Error()
}
