/**
 * Sends mail into a catcher for the catcher's own tests. Plain nodemailer, not the app's mailer:
 * the sandbox stands apart from the code it is a stand-in for (the mailer's tests use the catcher).
 */
import nodemailer from 'nodemailer';

export interface TestMail {
  to: string | string[];
  subject: string;
  text: string;
  html?: string;
}

export interface TestSender {
  send(mail: TestMail): Promise<void>;
  close(): void;
}

export function createTestSender(smtpUrl: string, from: string): TestSender {
  const transport = nodemailer.createTransport(
    { url: smtpUrl, allowInternalNetworkInterfaces: true },
    { from },
  );
  return {
    async send(mail) {
      await transport.sendMail(mail);
    },
    close: () => transport.close(),
  };
}
