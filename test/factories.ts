import { randomBytes } from 'node:crypto';
import type { Executor } from '../src/platform/db/types.js';
import { upsertCustomers, type Customer } from '../src/modules/customers/customer.repository.js';
import { findProductBySku, insertProducts, type Product } from '../src/modules/inventory/product.repository.js';
import { ensureTenant, type Tenant } from '../src/modules/tenants/tenant.repository.js';

const uid = () => randomBytes(4).toString('hex');

export async function newTenant(ex: Executor, slug = `t-${uid()}`): Promise<Tenant> {
  return ensureTenant(ex, slug, `Tenant ${slug}`);
}

export async function newProduct(
  ex: Executor,
  tenant: Tenant,
  fields: Partial<{ sku: string; name: string; price: number; currency: string; stock: number }> = {},
): Promise<Product> {
  const sku = fields.sku ?? `SKU-${uid()}`;
  await insertProducts(ex, tenant.id, [
    { sku, name: fields.name ?? `Product ${sku}`, price: fields.price ?? 1000, currency: fields.currency ?? 'EUR', stock: fields.stock ?? 100 },
  ]);
  const product = await findProductBySku(ex, tenant.id, sku);
  if (!product) throw new Error(`factory: product ${sku} was not created`);
  return product;
}

export async function newCustomer(ex: Executor, tenant: Tenant, fields: Partial<{ email: string; name: string }> = {}): Promise<Customer> {
  const [customer] = await upsertCustomers(ex, tenant.id, [
    { email: fields.email ?? `c-${uid()}@example.com`, name: fields.name ?? 'Test Customer' },
  ]);
  if (!customer) throw new Error('factory: customer was not created');
  return customer;
}

export async function newApiKey(ex: Executor, tenant: Tenant, role: 'viewer' | 'operator' | 'admin' = 'admin'): Promise<string> {
  const { createApiKey } = await import('../src/modules/auth/api-key.repository.js');
  return (await createApiKey(ex, tenant.id, role, `test ${role}`)).key;
}

export function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}
