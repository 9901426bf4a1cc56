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
func (d *conn) countCapped(ctx context.Context, q *gorm.DB) (int64, error) {
	var n int64
	sub := q.Session(&gorm.Session{}).Select("1").Limit(CountCap + 1)
	// Every list runs it on each page: kept prepared on SQLite (DB.read).
	if err := d.read(ctx).Table("(?) AS capped", sub).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count: %w", err)
	}
	return n, nil
}

// Page asks for one page of a list ordered by position: Limit rows after
// the first Offset (at most CountCap, so no page costs more than reading
// CountCap rows past).
type Page struct {
	Offset, Limit int
}

// Paged is a page of rows, whether more follow, and how many the list
// holds (counted up to CountCap+1).
type Paged[T any] struct {
	Items []T
	More  bool
	Total int64
}

// pageOf reads page p of the rows q selects, in order.
func pageOf[T any](ctx context.Context, d *conn, q *gorm.DB, order string, p Page) (*Paged[T], error) {
	total, err := d.countCapped(ctx, q)
	if err != nil {
		return nil, err
	}
	var rows []T
	if err := q.Order(order).Offset(min(p.Offset, CountCap)).Limit(p.Limit + 1).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := &Paged[T]{Items: rows, Total: total}
	if len(rows) > p.Limit {
		out.Items, out.More = rows[:p.Limit], true
	}
	return out, nil
}
