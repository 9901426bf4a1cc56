package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/rebound-returns/rebound/returns"
)

// HoldState is where an inventory hold stands: held (the units are
// reserved for a return's exchange), then released (not needed: the
// return was cancelled, declined, expired or rejected) or consumed (the
// replacement shipped). Only a held hold moves, and only once.
type HoldState string

const (
	HoldHeld     HoldState = "held"
	HoldReleased HoldState = "released"
	HoldConsumed HoldState = "consumed"
)

// InventoryHold reserves Quantity units of a variant for a return's
// exchange; one per return and variant.
type InventoryHold struct {
	ID            string
	MerchantID    string
	VariantID     string
	ReturnID      string
	Quantity      int
	State         HoldState
	ReleaseReason returns.Status
	CreatedAt     time.Time
	UpdatedAt     time.Time
	EndedAt       *time.Time
}

func (InventoryHold) TableName() string { return "inventory_holds" }

// The refusals of holds.
var (
	// ErrOutOfStock: the variant has fewer free units (available − held)
	// than the hold asks for.
	ErrOutOfStock = errors.New("not enough units of the variant are free")
	// ErrHoldDiffers: the return already holds the variant, another
	// quantity of it.
	ErrHoldDiffers = errors.New("the return holds another quantity of the variant")
	// ErrForeignReturn: the return does not exist or is another
	// merchant's.
	ErrForeignReturn = errors.New("no such return of the merchant")
	// ErrHoldEnded: the hold was released or consumed already, the other
	// way than asked.
	ErrHoldEnded = errors.New("the hold has ended")
)

// HoldStock reserves qty units of the merchant's variant sku for a return
// of the merchant's, and answers the hold and whether this call made it.
// It is idempotent per return and variant: a second call answers the first
// hold as it stands (held, or released or consumed since), never a second
// one; another quantity is ErrHoldDiffers. The units are taken by one
// conditional update of the variant (held + qty ≤ available), which
// Postgres evaluates under the row's lock and SQLite under its single
// writer, so concurrent holds never oversell: ErrOutOfStock. An unknown
// variant is ErrNotFound, a return that is not the merchant's
// ErrForeignReturn.
func (d Catalog) HoldStock(ctx context.Context, merchantID, sku, returnID string, qty int) (*InventoryHold, bool, error) {
	h, err := d.holdOnce(ctx, merchantID, sku, returnID, qty)
	if errors.Is(translate(err), ErrConflict) {
		// A hold of the same return and variant won a race: answer it.
		h, err = d.holdOnce(ctx, merchantID, sku, returnID, qty)
	}
	if err != nil {
		return nil, false, fmt.Errorf("hold %d of %s for return %s: %w", qty, sku, returnID, translate(err))
	}
	return &h.InventoryHold, h.created, nil
}

// placedHold is a hold and whether holdOnce made it.
type placedHold struct {
	InventoryHold
	created bool
}

func (d Catalog) holdOnce(ctx context.Context, merchantID, sku, returnID string, qty int) (*placedHold, error) {
	var out *placedHold
	err := d.tx(ctx, func(tx *DB) error {
		var v Variant
		if err := tx.with(ctx).Select("id").Where("merchant_id = ? AND sku = ?", merchantID, sku).Take(&v).Error; err != nil {
			return err
		}
		var mine int64
		if err := tx.with(ctx).Model(&Return{}).Where("id = ? AND merchant_id = ?", returnID, merchantID).Count(&mine).Error; err != nil {
			return err
		}
		if mine == 0 {
			return ErrForeignReturn
		}
		var prior []InventoryHold
		if err := tx.with(ctx).Where("return_id = ? AND variant_id = ?", returnID, v.ID).Limit(1).Find(&prior).Error; err != nil {
			return err
		}
		if len(prior) == 1 {
			if prior[0].Quantity != qty {
				return ErrHoldDiffers
			}
			out = &placedHold{InventoryHold: prior[0]}
			return nil
		}
		res := tx.with(ctx).Model(&Variant{}).Where("id = ? AND available - held >= ?", v.ID, qty).
			Update("held", gorm.Expr("held + ?", qty))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrOutOfStock
		}
		now := time.Now().UTC()
		h := InventoryHold{ID: NewID(), MerchantID: merchantID, VariantID: v.ID, ReturnID: returnID, Quantity: qty,
			State: HoldHeld, CreatedAt: now, UpdatedAt: now}
		if err := tx.with(ctx).Create(&h).Error; err != nil {
			return err
		}
		out = &placedHold{InventoryHold: h, created: true}
		return nil
	})
	return out, err
}

// EndHold moves one of the merchant's holds from held to released (with
// the return's status that ended the need for it) or to consumed (the
// replacement shipped: the units leave the variant's stock, held and
// available both fall by the hold's quantity, until the merchant's next
// upsert says what they have). It answers the hold and whether this call
// moved it. A hold already in the asked state is answered as it is
// (idempotent); one that ended the other way is ErrHoldEnded; an unknown
// hold, or another merchant's, ErrNotFound.
func (d Catalog) EndHold(ctx context.Context, merchantID, holdID string, to HoldState, reason returns.Status) (*InventoryHold, bool, error) {
	if to != HoldReleased && to != HoldConsumed {
		return nil, false, fmt.Errorf("end hold %s: %q is not an end state", holdID, to)
	}
	var h InventoryHold
	moved := false
	err := d.tx(ctx, func(tx *DB) error {
		q := tx.with(ctx).Where("id = ? AND merchant_id = ?", holdID, merchantID)
		if d.dialect == Postgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.Take(&h).Error; err != nil {
			return err
		}
		switch h.State {
		case to:
			return nil
		case HoldHeld:
		default:
			return ErrHoldEnded
		}
		var err error
		moved, err = tx.Catalog.endHeld(ctx, &h, to, reason)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("end hold %s as %s: %w", holdID, to, translate(err))
	}
	return &h, moved, nil
}

// endHeld moves h, read in the same transaction, from held to `to` and
// gives its units back (released) or takes them out of stock (consumed).
func (d Catalog) endHeld(ctx context.Context, h *InventoryHold, to HoldState, reason returns.Status) (bool, error) {
	now := time.Now().UTC()
	if to != HoldReleased {
		reason = ""
	}
	res := d.with(ctx).Model(&InventoryHold{}).Where("id = ? AND state = ?", h.ID, HoldHeld).
		Updates(map[string]any{"state": to, "release_reason": reason, "ended_at": now, "updated_at": now})
	if res.Error != nil || res.RowsAffected != 1 {
		return false, res.Error
	}
	stock := map[string]any{"held": gorm.Expr("held - ?", h.Quantity)}
	if to == HoldConsumed {
		stock["available"] = gorm.Expr("available - ?", h.Quantity)
	}
	if err := d.with(ctx).Model(&Variant{}).Where("id = ?", h.VariantID).Updates(stock).Error; err != nil {
		return false, err
	}
	h.State, h.ReleaseReason, h.EndedAt, h.UpdatedAt = to, reason, &now, now
	return true, nil
}

// ReleaseReturnHolds releases every hold of a return still held, with the
// return's status that ended the need for them, and answers those it
// released (none when called again).
func (d Catalog) ReleaseReturnHolds(ctx context.Context, merchantID, returnID string, reason returns.Status) ([]InventoryHold, error) {
	var released []InventoryHold
	err := d.tx(ctx, func(tx *DB) error {
		var held []InventoryHold
		// By variant, so the variants' rows are locked in id order, as an
		// upsert locks them.
		q := tx.with(ctx).Where("return_id = ? AND merchant_id = ? AND state = ?", returnID, merchantID, HoldHeld).Order("variant_id, id")
		if d.dialect == Postgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.Find(&held).Error; err != nil {
			return err
		}
		for i := range held {
			moved, err := tx.Catalog.endHeld(ctx, &held[i], HoldReleased, reason)
			if err != nil {
				return err
			}
			if moved {
				released = append(released, held[i])
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("release the holds of return %s: %w", returnID, translate(err))
	}
	return released, nil
}

// HoldsOfReturn lists a return's holds, oldest first, with their
// variants' SKUs.
func (d Catalog) HoldsOfReturn(ctx context.Context, merchantID, returnID string) ([]ReturnHold, error) {
	var rows []ReturnHold
	err := d.read(ctx).Table("inventory_holds AS h").Select("h.*, v.sku").
		Joins("JOIN catalog_variants AS v ON v.id = h.variant_id").
		Where("h.return_id = ? AND h.merchant_id = ?", returnID, merchantID).Order("h.id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("holds of return %s: %w", returnID, err)
	}
	return rows, nil
}

// ReturnHold is a hold with its variant's SKU.
type ReturnHold struct {
	InventoryHold
	SKU string `gorm:"column:sku"`
}
