package db

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"github.com/rebound-returns/rebound/returns"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
)

// rowFunc yields one row's values at a time, io.EOF at the end; any other
// error stops the insert and is answered as it is. The slice is used up
// before the next call, which may reuse it.
type rowFunc func() ([]any, error)

// bulkInsert streams rows into table: with COPY on Postgres, in batched
// inserts in one transaction on SQLite. Nothing but the current row (on
// SQLite, one batch) is held in memory.
func (d *conn) bulkInsert(ctx context.Context, table string, columns []string, next rowFunc) (int64, error) {
	if d.dialect == Postgres {
		return d.copyRows(ctx, table, columns, next)
	}
	return d.insertRows(ctx, table, columns, next)
}

// copyRows streams rows into table with COPY in its text format. A
// goroutine of its own turns the rows into text as they come, so that
// reading the source overlaps sending to the server; a pipe between them
// holds at most a buffer's worth.
func (d *conn) copyRows(ctx context.Context, table string, columns []string, next rowFunc) (int64, error) {
	pr, pw := io.Pipe()
	var (
		rows   int64
		srcErr error
		done   = make(chan struct{})
	)
	go func() {
		defer close(done)
		bw := bufio.NewWriterSize(pw, 256<<10)
		var line []byte
		for {
			vals, err := next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				srcErr = err
				pw.CloseWithError(err)
				return
			}
			line = appendCopyRow(line[:0], vals)
			if _, err := bw.Write(line); err != nil {
				return // COPY has stopped; its error says why
			}
			rows++
		}
		if err := bw.Flush(); err != nil {
			return
		}
		pw.Close()
	}()
	n, err := d.db.CopyFile(ctx, "COPY "+table+" ("+strings.Join(columns, ", ")+") FROM STDIN", pr)
	pr.CloseWithError(errCopyStopped) // a writer still writing stops
	<-done
	if srcErr != nil {
		// The source's own error (a refused file) says more than COPY's.
		return rows, srcErr
	}
	if err != nil {
		return n, fmt.Errorf("copy into %s: %w", table, err)
	}
	return n, nil
}

var errCopyStopped = errors.New("copy stopped")

// appendCopyRow appends one row of COPY's text format: tab-separated
// values, \N for NULL, backslash escapes, a newline at the end.
func appendCopyRow(b []byte, vals []any) []byte {
	for i, v := range vals {
		if i > 0 {
			b = append(b, '\t')
		}
		switch v := v.(type) {
		case nil:
			b = append(b, `\N`...)
		case string:
			b = appendCopyText(b, v)
		case *string:
			if v == nil {
				b = append(b, `\N`...)
			} else {
				b = appendCopyText(b, *v)
			}
		case int:
			b = strconv.AppendInt(b, int64(v), 10)
		case int64:
			b = strconv.AppendInt(b, v, 10)
		case bool:
			b = strconv.AppendBool(b, v)
		case time.Time:
			b = v.UTC().AppendFormat(b, "2006-01-02 15:04:05.999999Z07:00")
		default:
			b = appendCopyText(b, fmt.Sprint(v))
		}
	}
	return append(b, '\n')
}

func appendCopyText(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '\t':
			b = append(b, '\\', 't')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, c)
		}
	}
	return b
}

func (d *conn) insertRows(ctx context.Context, table string, columns []string, next rowFunc) (int64, error) {
	// SQLite allows 32766 variables a statement.
	batch := max(1, 3000/len(columns))
	placeholder := "(" + strings.TrimSuffix(strings.Repeat("?,", len(columns)), ",") + ")"
	var n int64
	err := d.tx(ctx, func(tx *DB) error {
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

// attemptsPerBooking is how many booked refunds share one order and return.
const attemptsPerBooking = 1000

var (
	bookedRefundColumns = []string{"id", "return_id", "order_id", "merchant_id", "channel", "amount", "currency", "status",
		"created_at", "updated_at", "finished_at"}
	bookedColumns = []string{"id", "refund_id", "n", "kind", "amount", "state", "terminal_id", "stan", "stan_day", "transmitted_at",
		"transmitted_day", "response_code", "approval_code", "rrn", "created_at", "updated_at"}
)

// BookAttempts records n approved card refund attempts of merchant m in
// bulk, streamed as next yields them (kind, amount, terminal, STAN, RRN,
// approval code and transmission time are read from each), each the one
// paying attempt of a refund of its own (the money rules allow no more).
// Every thousand hang on one order and return (awaiting settlement), as a
// history brought over from another system would. It is for the load
// generator and benchmarks: the lifecycle records attempts one at a time.
func (d Refunds) BookAttempts(ctx context.Context, m *Merchant, n int64, currency string, next func() (*RefundAttempt, error)) (int64, error) {
	now := time.Now().UTC()
	var booked int64
	batch := make([]*RefundAttempt, 0, attemptsPerBooking)
	refunds := make([]string, 0, attemptsPerBooking)
	for booked < n {
		o := &Order{MerchantID: m.ID, OrderNumber: "BOOKED-" + NewID(), Currency: currency, PlacedAt: now, RequestHash: "booked",
			Lines: []OrderLine{{LineID: "1", Name: "booked refunds", Quantity: 1, UnitPrice: 0}}}
		if err := d.db.Orders.CreateOrder(ctx, o); err != nil {
			return booked, err
		}
		r := &Return{MerchantID: m.ID, OrderID: o.ID, Status: "awaiting_settlement", Method: returns.MethodInStore, Contact: "booked@rebound.invalid",
			ContactKind: "email", Currency: currency, Channel: returns.ChannelCardPresent, Lines: []ReturnLine{{LineID: "1", Quantity: 1, Reason: "other"}}}
		if err := d.db.Returns.CreateReturn(ctx, r); err != nil {
			return booked, err
		}
		batch, refunds = batch[:0], refunds[:0]
		for int64(len(batch)) < min(attemptsPerBooking, n-booked) {
			a, err := next()
			if err != nil {
				return booked, fmt.Errorf("book attempts: %w", err)
			}
			batch = append(batch, a)
			refunds = append(refunds, NewID())
		}
		i := 0
		if _, err := d.bulkInsert(ctx, "refunds", bookedRefundColumns, func() ([]any, error) {
			if i == len(batch) {
				return nil, io.EOF
			}
			vals := []any{refunds[i], r.ID, o.ID, m.ID, returns.ChannelCardPresent, batch[i].Amount, currency, returns.RefundStatusSucceeded, now, now, now}
			i++
			return vals, nil
		}); err != nil {
			return booked, fmt.Errorf("book refunds: %w", err)
		}
		i = 0
		k, err := d.bulkInsert(ctx, "refund_attempts", bookedColumns, func() ([]any, error) {
			if i == len(batch) {
				return nil, io.EOF
			}
			a := batch[i]
			var at time.Time
			if a.TransmittedAt != nil {
				at = a.TransmittedAt.UTC()
			}
			day := at.Format("2006-01-02")
			vals := []any{NewID(), refunds[i], 1, a.Kind, a.Amount, returns.AttemptApproved, a.TerminalID, a.STAN, day, at, day, "00",
				a.ApprovalCode, a.RRN, now, now}
			i++
			return vals, nil
		})
		booked += k
		if err != nil {
			return booked, fmt.Errorf("book attempts: %w", err)
		}
	}
	return booked, d.analyze(ctx, "refund_attempts", "refunds", "returns", "orders")
}

// analyze refreshes the planner's statistics of tables after a bulk load
// (Postgres; SQLite plans without them).
func (d *conn) analyze(ctx context.Context, tables ...string) error {
	if d.dialect != Postgres {
		return nil
	}
	if err := d.with(ctx).Exec("ANALYZE " + strings.Join(tables, ", ")).Error; err != nil {
		return fmt.Errorf("analyze %s: %w", strings.Join(tables, ", "), err)
	}
	return nil
}

// sampleStats is analyze on a small sample (3,000 rows, a tenth of the
// default): enough for the planner to know how many rows a file has and
// how they spread, at a fraction of the cost.
func (d *conn) sampleStats(ctx context.Context, table string) error {
	if d.dialect != Postgres {
		return nil
	}
	return d.tx(ctx, func(tx *DB) error {
		if err := tx.with(ctx).Exec("SET LOCAL default_statistics_target = 10").Error; err != nil {
			return err
		}
		return tx.analyze(ctx, table)
	})
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
