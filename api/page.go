package api

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/app/views"
	"github.com/rebound-returns/rebound/app/wire"
)

// Every list answers one page at a time. ?limit= takes 1 to pageMax rows
// (pageDefault when absent); ?cursor= is the opaque next_cursor of the page
// before. The answer is a listPage: the items, next_cursor and next (the
// link to the next page, both null on the last one), and total, counted up
// to views.CountCap (total_capped says there are more).
const (
	pageDefault = wire.PageSize
	pageMax     = wire.PageMax
)

// listPage is the answer of every paged list.
type listPage[T any] struct {
	Items       []T     `json:"items"`
	NextCursor  *string `json:"next_cursor"`
	Next        *string `json:"next"`
	Total       int64   `json:"total"`
	TotalCapped bool    `json:"total_capped"`
}

// cursor is a list's position: a struct that says whether a decoded value
// is one this list could have made.
type cursor interface{ valid() bool }

// readPage reads ?limit= and ?cursor=; a cursor decodes into cur, and
// readPage reports whether there was one.
func readPage(c *gin.Context, cur cursor) (limit int, hasCursor bool, err error) {
	limit = pageDefault
	var errs []FieldError
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > pageMax {
			errs = append(errs, FieldError{"limit", "must be from 1 to " + strconv.Itoa(pageMax)})
		}
		limit = n
	}
	if v := c.Query("cursor"); v != "" {
		if !decodeCursor(v, cur) {
			errs = append(errs, FieldError{"cursor", "is not a cursor from this list"})
		}
		hasCursor = true
	}
	if len(errs) > 0 {
		return 0, false, Invalid(errs...)
	}
	return limit, hasCursor, nil
}

func decodeCursor(v string, cur cursor) bool {
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && json.Unmarshal(b, cur) == nil && cur.valid()
}

func encodeCursor(cur cursor) string {
	b, _ := json.Marshal(cur)
	return base64.RawURLEncoding.EncodeToString(b)
}

// idCursor is the position in a list ordered by id alone.
type idCursor struct {
	ID string `json:"id"`
}

func (c *idCursor) valid() bool { return validID(c.ID) }

// newPage builds the answer of a list: next is set when more rows follow,
// as the cursor of the last item and the request's own URL with it.
func newPage[T any](c *gin.Context, items []T, more bool, last cursor, total int64) listPage[T] {
	if items == nil {
		items = []T{}
	}
	p := listPage[T]{Items: items, Total: min(total, views.CountCap), TotalCapped: total > views.CountCap}
	if more && last != nil {
		cur := encodeCursor(last)
		q := c.Request.URL.Query()
		q.Set("cursor", cur)
		next := (&url.URL{Path: c.Request.URL.Path, RawQuery: q.Encode()}).String()
		p.NextCursor, p.Next = &cur, &next
	}
	return p
}

// offsetCursor is the position in a short list paged by position (staff,
// keys, webhooks, freezes, merchants): how many rows came before.
type offsetCursor struct {
	Offset int `json:"o"`
}

func (o *offsetCursor) valid() bool { return o.Offset > 0 && o.Offset <= views.CountCap }

// readOffsetPage reads ?limit= and ?cursor= of a list paged by position.
func readOffsetPage(c *gin.Context) (views.Page, error) {
	var cur offsetCursor
	limit, _, err := readPage(c, &cur)
	return views.Page{Offset: cur.Offset, Limit: limit}, err
}

// offsetPage answers page p of a list paged by position; a list goes no
// further than views.CountCap rows.
func offsetPage[T, R any](c *gin.Context, p views.Page, rows *views.Paged[R], view func(*R) T) listPage[T] {
	items := make([]T, 0, len(rows.Items))
	for i := range rows.Items {
		items = append(items, view(&rows.Items[i]))
	}
	var next cursor
	if end := p.Offset + p.Limit; rows.More && end <= views.CountCap {
		next = &offsetCursor{Offset: end}
	}
	return newPage(c, items, next != nil, next, rows.Total)
}
