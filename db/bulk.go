package db

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
)

// idArg is an id as a bulk insert sends it: on Postgres as the uuid it is,
// which COPY encodes directly (a string would be tried, refused and parsed
// again on every row).
func (d *DB) idArg(id string) any {
	if d.dialect != Postgres {
		return id
	}
	u, err := uuid.Parse(id)
	if err != nil {
		return id
	}
	return pgtype.UUID{Bytes: u, Valid: true}
}

// rowFunc yields one row's values at a time, io.EOF at the end; any other
// error stops the insert and is answered as it is. The slice is used up
// before the next call, which may reuse it.
type rowFunc func() ([]any, error)

// bulkInsert streams rows into table: with COPY on Postgres, in batched
// inserts in one transaction on SQLite. Nothing but the current row (on
// SQLite, one batch) is held in memory.
func (d *DB) bulkInsert(ctx context.Context, table string, columns []string, next rowFunc) (int64, error) {
	if d.dialect == Postgres {
		return d.copyRows(ctx, table, columns, next)
	}
	return d.insertRows(ctx, table, columns, next)
}

// copySource adapts a rowFunc to pgx's CopyFromSource.
type copySource struct {
	next rowFunc
	cur  []any
	err  error
	rows int64
}

func (c *copySource) Next() bool {
	vals, err := c.next()
	if errors.Is(err, io.EOF) {
		return false
	}
	if err != nil {
		c.err = err
		return false
	}
	c.cur = vals
	c.rows++
	return true
}

func (c *copySource) Values() ([]any, error) { return c.cur, nil }
func (c *copySource) Err() error             { return c.err }

func (d *DB) copyRows(ctx context.Context, table string, columns []string, next rowFunc) (int64, error) {
	sqlDB, err := d.g.DB()
	if err != nil {
		return 0, err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	cs := &copySource{next: next}
	err = conn.Raw(func(driverConn any) error {
		pc, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("copy: not a pgx connection (%T)", driverConn)
		}
		_, err := pc.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, cs)
		return err
	})
	if cs.err != nil {
		// The source's own error (a refused file) says more than COPY's.
		return cs.rows, cs.err
	}
	if err != nil {
		return cs.rows, fmt.Errorf("copy into %s: %w", table, err)
	}
	return cs.rows, nil
}

func (d *DB) insertRows(ctx context.Context, table string, columns []string, next rowFunc) (int64, error) {
	// SQLite allows 32766 variables a statement.
	batch := max(1, 3000/len(columns))
	placeholder := "(" + strings.TrimSuffix(strings.Repeat("?,", len(columns)), ",") + ")"
	var n int64
	err := d.Tx(ctx, func(tx *DB) error {
		args := make([]any, 0, batch*len(columns))
		rows := 0
		flush := func() error {
			if rows == 0 {
				return nil
			}
			q := "INSERT INTO " + table + " (" + strings.Join(columns, ",") + ") VALUES " +
				strings.TrimSuffix(strings.Repeat(placeholder+",", rows), ",")
			if err := tx.g.WithContext(ctx).Exec(q, args...).Error; err != nil {
				return fmt.Errorf("insert into %s: %w", table, err)
			}
			args, rows = args[:0], 0
			return nil
		}
		for {
			vals, err := next()
			if errors.Is(err, io.EOF) {
				return flush()
			}
			if err != nil {
				return err
			}
			args = append(args, vals...)
			rows++
			n++
			if rows == batch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	})
	return n, err
}

// attemptsPerBooking is how many booked attempts share one refund.
const attemptsPerBooking = 1000

var bookedColumns = []string{"id", "refund_id", "n", "kind", "amount", "state", "terminal_id", "stan", "stan_day", "transmitted_at",
	"transmitted_day", "response_code", "approval_code", "rrn", "created_at", "updated_at"}

// BookAttempts records n approved card refund attempts of merchant m in
// bulk, streamed as next yields them (kind, amount, terminal, STAN, RRN,
// approval code and transmission time are read from each). Every thousand
// hang on one order, return (awaiting settlement) and refund in currency,
// as a history brought over from another system would. It is for the load
// generator and benchmarks: the lifecycle records attempts one at a time.
func (d *DB) BookAttempts(ctx context.Context, m *Merchant, n int64, currency string, next func() (*RefundAttempt, error)) (int64, error) {
	now := time.Now().UTC()
	refunds := make([]string, 0, (n+attemptsPerBooking-1)/attemptsPerBooking)
	for i := int64(0); i < n; i += attemptsPerBooking {
		o := &Order{MerchantID: m.ID, OrderNumber: "BOOKED-" + NewID(), Currency: currency, PlacedAt: now, RequestHash: "booked",
			Lines: []OrderLine{{LineID: "1", Name: "booked refunds", Quantity: 1, UnitPrice: 0}}}
		if err := d.CreateOrder(ctx, o); err != nil {
			return 0, err
		}
		r := &Return{MerchantID: m.ID, OrderID: o.ID, Status: "awaiting_settlement", Method: "in_store", Contact: "booked@rebound.invalid",
			ContactKind: "email", Currency: currency, Channel: ChannelCardPresent, Lines: []ReturnLine{{LineID: "1", Quantity: 1, Reason: "other"}}}
		if err := d.CreateReturn(ctx, r); err != nil {
			return 0, err
		}
		ref, err := d.CreateRefund(ctx, &Refund{ID: NewID(), ReturnID: r.ID, OrderID: o.ID, MerchantID: m.ID, Channel: ChannelCardPresent,
			Currency: currency, Status: RefundSucceeded, Quote: JSON("{}"), FinishedAt: &now})
		if err != nil {
			return 0, err
		}
		refunds = append(refunds, ref.ID)
	}
	var i int64
	booked, err := d.bulkInsert(ctx, "refund_attempts", bookedColumns, func() ([]any, error) {
		if i == n {
			return nil, io.EOF
		}
		a, err := next()
		if err != nil {
			return nil, err
		}
		var at time.Time
		if a.TransmittedAt != nil {
			at = a.TransmittedAt.UTC()
		}
		day := at.Format("2006-01-02")
		vals := []any{d.idArg(NewID()), d.idArg(refunds[i/attemptsPerBooking]), int(i%attemptsPerBooking) + 1, a.Kind, a.Amount, AttemptApproved,
			a.TerminalID, a.STAN, day, at, day, "00", a.ApprovalCode, a.RRN, now, now}
		i++
		return vals, nil
	})
	if err != nil {
		return booked, fmt.Errorf("book attempts: %w", err)
	}
	// Each refund is what its attempts paid.
	err = d.with(ctx).Exec("UPDATE refunds SET amount = (SELECT COALESCE(SUM(amount), 0) FROM refund_attempts AS a WHERE a.refund_id = refunds.id) "+
		"WHERE id IN ?", refunds).Error
	if err != nil {
		return booked, fmt.Errorf("book attempts: %w", err)
	}
	return booked, d.analyze(ctx, "refund_attempts", "refunds", "returns", "orders")
}

// analyze refreshes the planner's statistics of tables after a bulk load
// (Postgres; SQLite plans without them).
func (d *DB) analyze(ctx context.Context, tables ...string) error {
	if d.dialect != Postgres {
		return nil
	}
	if err := d.with(ctx).Exec("ANALYZE " + strings.Join(tables, ", ")).Error; err != nil {
		return fmt.Errorf("analyze %s: %w", strings.Join(tables, ", "), err)
	}
	return nil
}

// CopyFile runs a COPY … FROM STDIN statement on Postgres with r as its
// input, streamed, and answers the rows copied.
func (d *DB) CopyFile(ctx context.Context, copySQL string, r io.Reader) (int64, error) {
	if d.dialect != Postgres {
		return 0, errors.New("copy: only on Postgres")
	}
	sqlDB, err := d.g.DB()
	if err != nil {
		return 0, err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var n int64
	err = conn.Raw(func(driverConn any) error {
		pc, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("copy: not a pgx connection (%T)", driverConn)
		}
		tag, err := pc.Conn().PgConn().CopyFrom(ctx, r, copySQL)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return n, fmt.Errorf("copy: %w", err)
	}
	return n, nil
}
