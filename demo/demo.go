// Package demo seeds the merchant, staff, API key and orders that `rebound
// dev` starts with, so that a person trying Rebound can file a return at
// once. Seeding is idempotent: a second start finds what the first made.
package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

// Options are the secrets the demo is made with.
type Options struct {
	Password string // of every demo staff member
	APIKey   string // the demo merchant's X-API-Key
}

// Summary is what was seeded, to print.
type Summary struct {
	Merchant   string
	MerchantID string
	// AcquirerMerchantID is the demo merchant's card acceptor id.
	AcquirerMerchantID string
	Staff              []string
	Orders             []*db.Order
	Created            bool
}

// Merchant is the demo merchant's slug.
const Merchant = "demo"

// VirtualTerminal is the demo store's virtual terminal.
const VirtualTerminal = "R0000001"

// ShopperEmail is the contact on the demo orders.
const ShopperEmail = "shopper@example.com"

// staff are one member per merchant role, each named for their role.
var staff = returns.RoleWords(returns.MerchantRoles)

// Seed makes the demo merchant when it is missing and returns what exists.
func Seed(ctx context.Context, d *db.DB, o Options) (Summary, error) {
	sum := Summary{Merchant: Merchant, Staff: staff}
	m, err := d.Merchants.MerchantBySlug(ctx, Merchant)
	if errors.Is(err, db.ErrNotFound) {
		err = d.Tx(ctx, func(tx *db.DB) error {
			var cerr error
			m, cerr = create(ctx, tx, o)
			return cerr
		})
		sum.Created = true
	}
	if err != nil {
		return sum, fmt.Errorf("demo: %w", err)
	}
	sum.MerchantID, sum.AcquirerMerchantID = m.ID, m.AcquirerMerchantID
	for _, n := range []string{"DEMO-1001", "DEMO-1002", "DEMO-1003"} {
		ord, err := d.Orders.OrderByNumber(ctx, m.ID, n)
		if err != nil {
			return sum, fmt.Errorf("demo: %w", err)
		}
		sum.Orders = append(sum.Orders, ord)
	}
	return sum, nil
}

func create(ctx context.Context, d *db.DB, o Options) (*db.Merchant, error) {
	policy := returns.DefaultPolicy()
	policy.AutoApproveLimit = 5000
	policy.ReviewReasons = []string{"not_as_described"}
	policy.NonReturnableCategories = []string{"underwear", "gift_cards"}
	pj, err := db.ToJSON(policy)
	if err != nil {
		return nil, err
	}
	m := &db.Merchant{Slug: Merchant, Name: "Demo Outfitters", AcquirerMerchantID: "DEMO00000000001", Policy: pj}
	if err := d.Merchants.CreateMerchant(ctx, m); err != nil {
		return nil, err
	}
	store := &db.Store{MerchantID: m.ID, Code: "main", Name: "Main Street", Address: "1 Main Street, 12345 Springfield"}
	if err := d.Merchants.CreateStore(ctx, store); err != nil {
		return nil, err
	}
	if err := d.Merchants.CreateTerminal(ctx, &db.Terminal{MerchantID: m.ID, StoreID: store.ID, TerminalID: "T0000001", Kind: db.TerminalPhysical}); err != nil {
		return nil, err
	}
	// Rebound's own terminal for the store, so that its STANs never meet
	// the counter device's.
	if err := d.Merchants.CreateTerminal(ctx, &db.Terminal{MerchantID: m.ID, StoreID: store.ID, TerminalID: VirtualTerminal, Kind: db.TerminalVirtual}); err != nil {
		return nil, err
	}
	hash, err := auth.HashPassword(o.Password)
	if err != nil {
		return nil, err
	}
	for _, role := range staff {
		u := &db.StaffUser{MerchantID: &m.ID, Username: role, DisplayName: "Demo " + role, Email: role + "@demo.example",
			Role: returns.Role(role), PasswordHash: hash}
		if err := d.Staff.CreateStaff(ctx, u); err != nil {
			return nil, err
		}
	}
	if err := d.Staff.CreateAPIKey(ctx, &db.APIKey{MerchantID: m.ID, Name: "demo", Prefix: prefix(o.APIKey), KeyHash: auth.HashToken(o.APIKey)}); err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	placed, delivered := now.Add(-72*time.Hour), now.Add(-24*time.Hour)
	orders := []*db.Order{
		{OrderNumber: "DEMO-1001", Currency: "EUR", PlacedAt: placed, ShippingAmount: 0,
			Lines: []db.OrderLine{
				{LineID: "1", SKU: "SHOE-42", Name: "Trail shoes", Category: "footwear", Quantity: 1, UnitPrice: 8995},
				{LineID: "2", SKU: "SOCK-3P", Name: "Wool socks", Category: "apparel", Quantity: 3, UnitPrice: 1200, Discount: 200},
			},
			Payment: &db.Payment{Channel: returns.ChannelCardPresent, Amount: 8995 + 3400, TerminalID: "T0000001", STAN: "000101",
				RRN: "633000000101", ApprovalCode: "A1B2C3", MaskedPAN: "411111******1111", CardFingerprint: "fp_demo_card_0001",
				SaleAt: &placed}},
		{OrderNumber: "DEMO-1002", Currency: "EUR", PlacedAt: placed, DeliveredAt: &delivered, ShippingAmount: 495,
			Lines: []db.OrderLine{
				{LineID: "1", SKU: "JKT-M", Name: "Rain jacket", Category: "apparel", Quantity: 1, UnitPrice: 12900, Discount: 1000},
				{LineID: "2", SKU: "CAP-1", Name: "Cap", Category: "apparel", Quantity: 2, UnitPrice: 1500},
			},
			Payment: &db.Payment{Channel: returns.ChannelOnline, Amount: 11900 + 3000 + 495, GatewayPaymentID: "pay_demo_1002"}},
		{OrderNumber: "DEMO-1003", Currency: "EUR", PlacedAt: placed, DeliveredAt: &delivered, ShippingAmount: 0,
			Lines: []db.OrderLine{
				{LineID: "1", SKU: "TEE-2P", Name: "T-shirts", Category: "apparel", Quantity: 2, UnitPrice: 1999},
				{LineID: "2", SKU: "UND-1", Name: "Underwear", Category: "underwear", Quantity: 1, UnitPrice: 999},
			},
			Payment: &db.Payment{Channel: returns.ChannelOnline, Amount: 2*1999 + 999, GatewayPaymentID: "pay_demo_1003"}},
	}
	for _, ord := range orders {
		ord.MerchantID, ord.CustomerName, ord.CustomerEmail, ord.CustomerPhone = m.ID, "Sam Shopper", ShopperEmail, "+46700000001"
		ord.RequestHash = "seeded"
		ord.Payment.Currency = ord.Currency
		if err := d.Orders.CreateOrder(ctx, ord); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func prefix(key string) string {
	if len(key) > 8 {
		return key[:8]
	}
	return key
}
