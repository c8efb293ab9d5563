import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { ChannelSender, OutgoingMessage } from './channel.js';
import { OPERATORS } from '../notification.types.js';

export interface EmailOptions {
  smtpUrl: string | undefined;
  from: string;
  operatorEmail: string | undefined;
  dataDir: string;
}

/**
 * Email over SMTP when SMTP_URL is set; otherwise each message is written as an .eml file under
 * <dataDir>/outbox/, which any mail client opens, so a first run needs no mail server.
 * Timeouts stay well under the delivery lease so a hung server cannot outlive it.
 */
export function emailChannel(opts: EmailOptions): ChannelSender {
  const outbox = outboxDir(opts.dataDir);
  const transport = opts.smtpUrl
    ? nodemailer.createTransport({ url: opts.smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 60_000 })
    : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(m: OutgoingMessage) {
      const mail = {
        from: opts.from,
        to: m.recipient === OPERATORS ? (opts.operatorEmail ?? opts.from) : m.recipient,
        subject: m.rendered.subject,
        text: m.rendered.text,
        html: m.rendered.html,
        headers: { 'X-Ordersys-Notification': m.notificationId, 'X-Ordersys-Type': m.type },
        // One Message-ID per notification, whatever the attempt: a retry of a send that did get
        // through (a timeout after the server accepted it) is the same message to mail clients.
        messageId: `<${m.notificationId}@ordersys>`,
      };
      const info = await transport.sendMail(mail);
      if (opts.smtpUrl) return info.messageId ?? null;
      const file = path.join(outbox, `${safe(m.orderCode ?? m.type)}-${m.notificationId}-${m.attempt}.eml`);
      const message = (info as unknown as { message: Buffer }).message;
      // The outbox is made when a write finds it missing, not before every message (a mkdir per
      // message was 2.5 % of a pipeline process's CPU).
      await writeFile(file, message).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
        await mkdir(outbox, { recursive: true });
        await writeFile(file, message);
      });
      return file;
    },
    close: () => transport.close(),
  };
}

/** Where email goes without SMTP_URL; the retention job prunes old files there (maintenance/retention.ts). */
export const outboxDir = (dataDir: string) => path.join(dataDir, 'outbox');

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
