package activities

import (
	"context"
	"fmt"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/shipping"
)

// Shipping books the carrier for returns that are shipped back.
type Shipping struct {
	Base
	Carrier shipping.Carrier
	// PublicURL is the API's address as shoppers reach it, for the label's
	// link.
	PublicURL string
}

// CreateShipment books the carrier for a return that is shipped back; the
// carrier is idempotent on the return id.
func (a *Shipping) CreateShipment(ctx context.Context, in ShipmentInput) (ShipmentResult, error) {
	ret, err := a.returnByID(ctx, in.ReturnID)
	if err != nil {
		return ShipmentResult{}, err
	}
	req, err := a.shipmentRequest(ctx, ret)
	if err != nil {
		return ShipmentResult{}, err
	}
	sh, err := a.Carrier.CreateShipment(ctx, req)
	if err != nil {
		return ShipmentResult{}, fmt.Errorf("book carrier: %w", err)
	}
	return ShipmentResult{Carrier: sh.Carrier, TrackingNumber: sh.TrackingNumber,
		LabelURL: a.PublicURL + "/v1/returns/" + ret.ID + "/label"}, nil
}

func (a *Shipping) shipmentRequest(ctx context.Context, ret *db.Return) (shipping.ShipmentRequest, error) {
	from, to, err := ShipmentAddresses(ctx, a.DB, ret)
	if err != nil {
		return shipping.ShipmentRequest{}, err
	}
	return shipping.ShipmentRequest{ReturnID: ret.ID, From: from, To: to}, nil
}

// ShipmentAddresses are a return parcel's sender (the shopper) and
// recipient (the merchant's first store).
func ShipmentAddresses(ctx context.Context, d *db.DB, ret *db.Return) (from, to shipping.Address, err error) {
	merchant, err := d.Merchants.MerchantByID(ctx, ret.MerchantID)
	if err != nil {
		return from, to, err
	}
	order, err := d.Orders.OrderByID(ctx, ret.OrderID)
	if err != nil {
		return from, to, err
	}
	stores, err := d.Merchants.Stores(ctx, ret.MerchantID)
	if err != nil {
		return from, to, err
	}
	to = shipping.Address{Name: merchant.Name + " Returns"}
	for _, st := range stores {
		if st.Address != "" {
			to.Line1 = st.Address // the first store, by code, that takes parcels
			break
		}
	}
	if to.Line1 == "" {
		return from, to, fmt.Errorf("merchant %s has no store address to return to", merchant.Slug)
	}
	return shipping.Address{Name: order.CustomerName}, to, nil
}

// Label renders the return label of a shipped return.
func Label(ctx context.Context, d *db.DB, ret *db.Return, carrier string) ([]byte, error) {
	from, to, err := ShipmentAddresses(ctx, d, ret)
	if err != nil {
		return nil, err
	}
	return shipping.Label(shipping.LabelData{ReturnID: ret.ID, From: from, To: to,
		Shipment: shipping.Shipment{Carrier: carrier, TrackingNumber: ret.TrackingNumber}})
}
