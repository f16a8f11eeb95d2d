import { describe, expect, it } from 'vitest';
import { extractCode } from './code-extraction.js';

type Case = [sms: string, expected: string | null, serviceName?: string];

const digitCodes: Case[] = [
  ['Your Uber code: 1234. Never share this code. Reply STOP ALL to 89203 to unsubscribe.', '1234', 'uber'],
  [
    'Telegram code: 12345\n\nYou can also tap on this link to log in:\nhttps://t.me/login/12345',
    '12345',
    'telegram',
  ],
  [
    '[TikTok] 123456 is your verification code, valid for 5 minutes. To keep your account safe, never forward this code.',
    '123456',
    'tiktok',
  ],
  ['Your Discord security code is: 482913', '482913', 'discord'],
  ['123456 is your Amazon OTP. Do not share it with anyone.', '123456', 'amazon'],
  [
    'Your Apple ID Code is: 739201. Do not share it with anyone.\n\n@apple.com #739201 %apple.com',
    '739201',
    'apple',
  ],
  ['Microsoft account security code: 8491', '8491', 'microsoft'],
  ['Use 5820194 as Microsoft account password reset code.', '5820194', 'microsoft'],
  [
    "PayPal: Your security code is: 604219. Your code expires in 10 minutes. Please don't reply.",
    '604219',
    'paypal',
  ],
  ['[Binance] Verification code: 334455. Do not share this code with anyone.', '334455'],
  ['Your Facebook code is 12345678', '12345678', 'facebook'],
  ["Your Tinder code is 284610 - don't share", '284610', 'tinder'],
  ['Your OTP for login is 739201. Valid till 14:35. Do not share. -HDFC Bank', '739201'],
  [
    '482913 is the OTP for txn of INR 1,250.00 at AMAZON on card XX1234. Valid for 10 mins. Do not share.',
    '482913',
  ],
  ['Your Lyft code is 9921', '9921', 'lyft'],
  ['Bank: OTP 553311 for Rs. 5000 at Flipkart', '553311'],
  ['Snapchat code: 123456. Happy Snapping!', '123456', 'snapchat'],
  ['Your LinkedIn verification code is 482913.', '482913', 'linkedin'],
  ['Use 482913 to verify your phone number on Line', '482913', 'line'],
  ['Netflix: Your sign-in code is 5521 9004', '55219004', 'netflix'],
  ['Your verification code is 5821 2 attempts remaining', '5821'],
  ['© 2024 Acme Inc. Your login code is 193847', '193847'],
  ['You paid $12.50. Your confirmation code is 7712.', '7712'],
  ['Your code 582013 expires on 15/03/2024.', '582013'],
  ['Order #58213 shipped. Your delivery PIN is 4471.', '4471'],
  ['Ref: 998877. Your OTP is 445566.', '445566'],
  ['Use code 771122 within 10 minutes. Ticket no. 334455', '771122'],
  ['Your verification code is 3921. Questions? Call 1-800-555-0199.', '3921'],
  ['Your one-time password is 620418 (valid for 5 min)', '620418'],
  ['Your code: 1111. Your order 987654 is on the way.', '1111'],
  ['482913', '482913'],
  ['Yahoo: 58213047 is your verification code', '58213047', 'yahoo'],
  ['Your Steam login code is 64821 and expires in 15 minutes', '64821', 'steam'],
  ['Your Microsoft account verification code is 0481. Sent at 10:45 on 2024-03-15.', '0481', 'microsoft'],
];

const separatorCodes: Case[] = [
  [
    "Your WhatsApp code: 123-456\nYou can also tap on this link to verify your phone: v.whatsapp.com/123456\nDon't share this code with others",
    '123456',
    'whatsapp',
  ],
  ['Your WhatsApp Business code 804-911', '804911', 'whatsapp'],
  ['Use 123 456 to verify your Instagram account.', '123456', 'instagram'],
  ['G-123456 is your Google verification code.', '123456', 'google'],
  ["G-482913 is your Google verification code. Don't share it.", '482913'],
  ['FB-12345 is your Facebook confirmation code', '12345', 'facebook'],
  ['Your Signal code: 512-874 Do not share this code', '512874', 'signal'],
  ['Your Viber code: 4821 9932', '48219932', 'viber'],
];

const alphanumericCodes: Case[] = [
  ['Your code: A7K9QZ', 'A7K9QZ'],
  ['Your Steam Guard code is: 7G2KX', '7G2KX', 'steam'],
  ['Verification code: K7P2M9 - do not share it', 'K7P2M9'],
  ['Your Steam Guard code: FGHJK', 'FGHJK', 'steam'],
  ['Your X confirmation code is 4g5h6j7k', '4g5h6j7k'],
];

const otherLanguages: Case[] = [
  ['【微信】验证码：123456，5分钟内有效，请勿泄露。', '123456', 'wechat'],
  ['【支付宝】您的校验码是 8832，请勿告诉他人。', '8832'],
  ['您的验证码是482913，10分钟内有效。', '482913'],
  ['Код подтверждения: 4821. Никому не сообщайте его.', '4821'],
  ['Ваш код для входа в Telegram: 12345. Не сообщайте его никому.', '12345', 'telegram'],
  ['Tu código de verificación es 582913', '582913'],
  ['Tu código de WhatsApp es 123-456. No compartas este código.', '123456', 'whatsapp'],
  ['Seu código de verificação é 482193. Não compartilhe.', '482193'],
  ['Votre code de vérification est : 739204', '739204'],
  ['Ihr Bestätigungscode lautet 582014. Gültig für 10 Minuten.', '582014'],
  ['Dein Code: 1234', '1234'],
  ['رمز التحقق الخاص بك هو 482913', '482913'],
  ['رمز التحقق: ٤٨٢٩١٣', '482913'],
  ['आपका OTP 482913 है। इसे किसी के साथ साझा न करें।', '482913'],
  ['आपका सत्यापन कोड ७३९२०४ है', '739204'],
  ['認証コード：123456', '123456'],
  ['[Web발신] 인증번호 [482913]를 입력해주세요.', '482913'],
  ['Doğrulama kodunuz: 482913', '482913'],
  // 'İ' lowers to two characters: positions must still line up with the original text.
  ['İŞ BANKASI: İşlem doğrulama kodunuz 615204. Kimseyle paylaşmayın.', '615204'],
  ['کد تأیید شما: ۴۸۲۹۱۳', '482913'],
  ['Twój kod weryfikacyjny to 583920', '583920'],
  ['Kode verifikasi Anda adalah 771203', '771203'],
  ['Il tuo codice di verifica è 640182', '640182'],
  ['รหัส OTP ของคุณคือ 582013', '582013'],
];

const noCode: Case[] = [
  ['Hi! Your package will arrive tomorrow.', null],
  ['Your balance is $1,234.56', null],
  ['Meeting at 10:30 on 12/05/2024', null],
  ['Call me at 555-123-4567', null],
  ['Call us at +1 (555) 123-4567 for help', null],
  ['Visit https://example.com/reset/123456 to reset your password', null],
  ['Your order 1234567 has been delivered.', null],
  ['Your code is in the app. Open it to continue.', null],
  ['Your appointment on 2024-03-15 at 10:30 is confirmed.', null],
  ['Your code is valid for 10 minutes.', null],
  ['CODE IS VALID FOR 10 MIN', null],
  ['Call 0800 123 to get your code', null],
  ['Your code is 12345678901', null],
  ['Happy new year 2025!', null],
  ['Your payment of $1500 was received. Reference 882211.', null],
  ['Write to support12345@example.com', null],
  ['', null],
];

describe('extractCode — real-world SMS formats', () => {
  const all: Array<[string, Case[]]> = [
    ['digits', digitCodes],
    ['separated digits', separatorCodes],
    ['alphanumeric', alphanumericCodes],
    ['other languages', otherLanguages],
    ['no code', noCode],
  ];
  for (const [group, cases] of all) {
    describe(group, () => {
      it.each(cases)('%j → %j', (sms, expected, serviceName) => {
        expect(extractCode(sms, serviceName ? { serviceName } : {})).toBe(expected);
      });
    });
  }

  it('covers at least 40 formats', () => {
    expect(all.reduce((n, [, cases]) => n + cases.length, 0)).toBeGreaterThanOrEqual(40);
  });
});

describe('extractCode — several numbers', () => {
  it('picks the number the keyword points to', () => {
    expect(extractCode('Your order 12345 is confirmed. Your verification code is 678901.')).toBe('678901');
    expect(extractCode('Account ending 4432: your OTP is 918273')).toBe('918273');
    expect(extractCode('Code 777888 for login. Call 0800 123 4567 if this was not you')).toBe('777888');
    expect(extractCode('Your Uber code: 5521. Reply STOP to 89203')).toBe('5521');
  });

  it('prefers the new code over one called old or previous', () => {
    expect(extractCode('Your old code 111111 has expired. Your new code is 222222')).toBe('222222');
    expect(extractCode('Previous code 333333 is no longer valid. Use code 444444.')).toBe('444444');
  });

  it('takes an alphanumeric code when the keyword points to it, despite an order number', () => {
    expect(extractCode('Order 12345678: your pickup code is AB12')).toBe('AB12');
  });

  it('ignores the code copy inside a link', () => {
    expect(extractCode('Tap https://t.me/login/99999 or enter the code 12345')).toBe('12345');
  });

  it('returns null for several unrelated numbers without a keyword', () => {
    expect(extractCode('Flight 4471 departs gate 12 at 10:30, seat 14C, booking 882211')).toBeNull();
  });
});

describe('extractCode — provider parsed code', () => {
  it('uses the provider code when present, trimmed', () => {
    expect(extractCode('Your code is 111111', { providerParsedCode: ' 222222 ' })).toBe('222222');
  });

  it('falls back to the extractor when the provider code is empty or null', () => {
    expect(extractCode('Your code is 111111', { providerParsedCode: '   ' })).toBe('111111');
    expect(extractCode('Your code is 111111', { providerParsedCode: null })).toBe('111111');
  });
});

describe('extractCode — linear time on hostile input', () => {
  const hostile = [
    '1-'.repeat(5_000),
    '1 '.repeat(5_000),
    'a.'.repeat(5_000),
    'G-'.repeat(5_000),
    'code '.repeat(2_000),
    'code: 1234 '.repeat(1_000),
    '9'.repeat(10_000),
    'A1'.repeat(5_000),
    'http://'.repeat(1_500),
    '@a.b #1234 '.repeat(1_000),
    ('x'.repeat(50) + '/').repeat(200),
    '.'.repeat(10_000),
    '验证码'.repeat(3_400),
  ];

  it.each(hostile.map((h, i) => [i, h] as const))('hostile input #%i finishes quickly', (_i, input) => {
    expect(input.length).toBeGreaterThanOrEqual(10_000);
    // CPU time, not wall time: a busy machine delays the test but cannot make it use more CPU. A
    // regex that backtracks on these inputs takes seconds to hours; linear work takes a few ms.
    const started = process.cpuUsage();
    extractCode(input);
    const used = process.cpuUsage(started);
    expect((used.user + used.system) / 1000).toBeLessThan(250);
  });

  it('grows roughly linearly with the input', () => {
    const small = 'code 12 34 x. '.repeat(700);
    const large = small.repeat(10).slice(0, 16 * 1024);
    const time = (s: string) => {
      const started = performance.now();
      for (let i = 0; i < 5; i++) extractCode(s);
      return performance.now() - started;
    };
    time(small);
    const tSmall = time(small);
    const tLarge = time(large);
    expect(tLarge).toBeLessThan(Math.max(tSmall * 20, 100));
  });
});
