package db

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// CountCap is how far a list's total is counted: past it a list answers
// "more than CountCap" rather than scanning every row to say how many.
const CountCap = 10000

// countCapped counts the rows q selects, up to CountCap+1, so that a count
// over a huge table costs no more than reading CountCap index entries.
func (d *DB) countCapped(ctx context.Context, q *gorm.DB) (int64, error) {
	var n int64
	sub := q.Session(&gorm.Session{}).Select("1").Limit(CountCap + 1)
	if err := d.with(ctx).Table("(?) AS capped", sub).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count: %w", err)
	}
	return n, nil
}
