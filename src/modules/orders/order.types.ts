import type { OrderStatus, RefundStatus } from './order.state.js';

export interface Order {
  id: string;
  tenantId: string;
  orderCode: string;
  customerId: string;
  status: OrderStatus;
  refundStatus: RefundStatus;
  currency: string;
  total: number;
  refundedTotal: number;
  itemsCount: number;
  placedAt: Date;
  source: 'api' | 'import' | 'seed';
  importId: string | null;
  failureReason: string | null;
  reservedUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface OrderItem {
  sku: string;
  name: string;
  quantity: number;
  unitPrice: number;
  lineTotal: number;
}

/** An order as it arrives, before it is checked against the catalog. */
export interface NewOrder {
  orderCode: string;
  customerEmail: string;
  customerName: string;
  currency: string;
  placedAt: Date;
  items: { sku: string; quantity: number; unitPrice?: number }[];
}

export const ORDER_COLUMNS = `o.id, o.tenant_id AS "tenantId", o.order_code AS "orderCode", o.customer_id AS "customerId",
  o.status, o.refund_status AS "refundStatus", o.currency, o.total, o.refunded_total AS "refundedTotal",
  o.items_count AS "itemsCount", o.placed_at AS "placedAt", o.source, o.import_id AS "importId",
  o.failure_reason AS "failureReason", o.reserved_until AS "reservedUntil", o.created_at AS "createdAt",
  o.updated_at AS "updatedAt"`;
