export * from './events.js';
export * from './signature.js';
export * from './options.js';
export type { PaymentRequest, RefundRequest } from './outcomes.js';
export * from './transport.js';
export { PaymentGatewaySimulator, type SimulatorOptions } from './simulator.js';
