/** Seed data for the TextVerified sandbox: services, prices, stock, SMS templates, area codes. */

export interface SandboxService {
  serviceName: string;
  displayName: string;
  /** Cents; the wire shows dollars (`0.95`). */
  priceCents: number;
  stock: number;
  capability: 'sms' | 'smsAndVoiceCombo';
  /** `{code}` is replaced by the formatted code. */
  template: string;
  /** How the code is printed: `123456`, `123-456`, `G-123456`, alphanumeric… */
  codeFormat: 'digits6' | 'dashed6' | 'digits5' | 'digits4' | 'g6' | 'fb8' | 'alnum5';
  /** Sender shown in `from`. */
  sender: string;
}

const s = (
  serviceName: string,
  displayName: string,
  priceCents: number,
  template: string,
  codeFormat: SandboxService['codeFormat'] = 'digits6',
  sender = '22000',
  extra: Partial<SandboxService> = {},
): SandboxService => ({
  serviceName,
  displayName,
  priceCents,
  stock: 250,
  capability: 'sms',
  template,
  codeFormat,
  sender,
  ...extra,
});

export function defaultServices(): SandboxService[] {
  return [
    s(
      'whatsapp',
      'WhatsApp',
      95,
      "Your WhatsApp code is {code}. Don't share this code with others",
      'dashed6',
      '+14155238886',
      { capability: 'smsAndVoiceCombo' },
    ),
    s(
      'telegram',
      'Telegram',
      85,
      'Telegram code: {code}\n\nYou can also tap on this link to log in:\nhttps://t.me/login/{code}',
      'digits5',
      '42777',
      { capability: 'smsAndVoiceCombo' },
    ),
    s(
      'google',
      'Google / Gmail / YouTube',
      75,
      '{code} is your Google verification code. Don\u2019t share your code with anyone.',
      'g6',
      '22000',
    ),
    s('facebook', 'Facebook', 60, '{code} is your Facebook confirmation code', 'fb8', '32665'),
    s('instagram', 'Instagram', 65, 'Use {code} to verify your Instagram account.', 'dashed6', '32665'),
    s(
      'tiktok',
      'TikTok',
      55,
      '[TikTok] {code} is your verification code, valid for 5 minutes. To keep your account safe, never forward this code.',
      'digits6',
      '78123',
    ),
    s('discord', 'Discord', 70, 'Your Discord verification code is: {code}', 'digits6', '+18552839474'),
    s('amazon', 'Amazon', 80, '{code} is your Amazon OTP. Do not share it with anyone.', 'digits6', '262966'),
    s(
      'uber',
      'Uber',
      50,
      'Your Uber code: {code}. Never share this code. Reply STOP ALL to +1 415-237-0403 to unsubscribe.',
      'digits4',
      '827222',
    ),
    s('lyft', 'Lyft', 45, 'Your Lyft code is {code}', 'digits6', '46080'),
    s('twitter', 'X (Twitter)', 90, '{code} is your X verification code.', 'digits6', '40404'),
    s('snapchat', 'Snapchat', 60, 'Snapchat code: {code}. Happy Snapping!', 'digits6', '+18447627747'),
    s(
      'microsoft',
      'Microsoft / Outlook / Hotmail',
      55,
      'Use {code} as Microsoft account security code',
      'digits6',
      '+14254951300',
    ),
    s(
      'apple',
      'Apple',
      125,
      'Your Apple ID Code is: {code}. Don\u2019t share it with anyone.',
      'digits6',
      '+14083510000',
    ),
    s('yahoo', 'Yahoo', 40, '{code} is your Yahoo verification code', 'digits6', '92466'),
    s(
      'paypal',
      'PayPal',
      150,
      'PayPal: Your security code is: {code}. Your code expires in 10 minutes. Please don\u2019t reply.',
      'digits6',
      '729725',
    ),
    s(
      'venmo',
      'Venmo',
      135,
      'Venmo here! NEVER share this code via call/text. ONLY YOU should enter the code. Code: {code}',
      'digits6',
      '86753',
    ),
    s(
      'cashapp',
      'Cash App',
      140,
      'Cash App: {code} is your sign-in code. Don\u2019t share it.',
      'dashed6',
      '80103',
    ),
    s(
      'coinbase',
      'Coinbase',
      250,
      'Your Coinbase verification code is: {code}. Don\u2019t share this code with anyone; our employees will never ask for the code.',
      'digits6',
      '+18005994200',
    ),
    s(
      'binance',
      'Binance',
      275,
      '[Binance] Verification code: {code}. Do not share it with anyone.',
      'digits6',
      '+12029534510',
    ),
    s('kraken', 'Kraken', 200, 'Your Kraken verification code is {code}', 'digits6', '+14157275000'),
    s(
      'robinhood',
      'Robinhood',
      180,
      'Your Robinhood code is {code}. Robinhood will never call you to ask for it.',
      'digits6',
      '40778',
    ),
    s('airbnb', 'Airbnb', 110, 'Your Airbnb verification code is: {code}', 'digits6', '+14156550000'),
    s('doordash', 'DoorDash', 45, 'Your DoorDash verification code is: {code}', 'digits6', '36630'),
    s('grubhub', 'Grubhub', 35, 'Your Grubhub verification code is {code}', 'digits6', '472482'),
    s('instacart', 'Instacart', 40, 'Instacart verification code: {code}', 'digits6', '46788'),
    s('linkedin', 'LinkedIn', 70, 'Your LinkedIn verification code is {code}.', 'digits6', '+18555546274'),
    s('tinder', 'Tinder', 120, 'Your Tinder code is {code}', 'digits6', '25115'),
    s(
      'bumble',
      'Bumble',
      100,
      'Your Bumble code is {code}. Please do not share it with anyone.',
      'digits6',
      '+14157692100',
    ),
    s('hinge', 'Hinge', 95, 'Your Hinge verification code is {code}', 'digits6', '+16465830000'),
    s(
      'signal',
      'Signal',
      85,
      'Your Signal code: {code}\nDo not share this code\n\ndoDLxYiWhtM',
      'dashed6',
      '+14157042340',
      { capability: 'smsAndVoiceCombo' },
    ),
    s(
      'viber',
      'Viber',
      45,
      'Your Viber code: {code}\nYou can also tap on this link to finish your activation:\nviber://activate_secondary?code={code}',
      'digits6',
      '72423',
    ),
    s(
      'wechat',
      'WeChat',
      150,
      '[WeChat] Verification code: {code}. You are logging in to WeChat. Do not share the code.',
      'digits6',
      '+16502530000',
    ),
    s('line', 'LINE', 60, '[LINE] Your verification code is {code}.', 'digits6', '+13157050000'),
    s(
      'kakaotalk',
      'KakaoTalk',
      75,
      '[Kakao] Verification code [{code}]. Enter it within 3 minutes.',
      'digits4',
      '+18008271000',
    ),
    s('netflix', 'Netflix', 50, 'Netflix: Your code is {code}. Never share this code.', 'digits4', '63854'),
    s('spotify', 'Spotify', 35, 'Your Spotify code is {code}', 'digits6', '77769'),
    s('twitch', 'Twitch', 40, 'Your Twitch verification code is {code}.', 'digits6', '89496'),
    s('steam', 'Steam', 55, 'Your Steam verification code is {code}', 'alnum5', '+14253910000'),
    s(
      'ebay',
      'eBay',
      65,
      'eBay: Your security code is {code}. Don\u2019t share this code with anyone.',
      'digits6',
      '35163',
    ),
    s('craigslist', 'Craigslist', 30, 'craigslist verification code: {code}', 'digits5', '+14155550199'),
    s('offerup', 'OfferUp', 25, 'Your OfferUp verification code is {code}', 'digits6', '+12065550111'),
    s('nike', 'Nike', 70, 'Your Nike verification code is: {code}', 'digits6', '64536'),
    s(
      'openai',
      'OpenAI / ChatGPT',
      165,
      'Your OpenAI verification code is: {code}',
      'digits6',
      '+14159360000',
    ),
    s(
      'claude',
      'Anthropic / Claude',
      160,
      'Your Anthropic verification code is {code}',
      'digits6',
      '+14154200000',
    ),
    s('proton', 'Proton Mail', 300, 'Your Proton verification code is: {code}', 'digits6', '+41223330000'),
    s(
      'chime',
      'Chime',
      130,
      'Chime: {code} is your verification code. Chime will never ask for this code.',
      'digits6',
      '79630',
    ),
    s(
      'zelle',
      'Zelle',
      190,
      'Zelle\u00ae: Your code is {code}. Never share this code.',
      'digits6',
      '+18005550100',
    ),
    s('walmart', 'Walmart', 45, 'Walmart verification code: {code}. Expires in 10 min.', 'digits6', '925627'),
    s('bolt', 'Bolt', 35, 'Your Bolt code: {code}', 'digits4', '+3726580000'),
    s('grindr', 'Grindr', 85, 'Your Grindr code is: {code}', 'digits6', '+13105550100'),
    s(
      'servicenotlisted',
      'Service not listed',
      100,
      'Your verification code is {code}',
      'digits6',
      '+12025550100',
    ),
    s(
      'servicenotlistedvoice',
      'Service not listed (voice)',
      125,
      'Your verification code is {code}',
      'digits6',
      '+12025550101',
      { capability: 'smsAndVoiceCombo' },
    ),
    // Out of stock from the start, so "no numbers" is reachable without the control API.
    s('yikyak', 'Yik Yak', 40, 'Your Yik Yak code is {code}', 'digits6', '+18885550100', { stock: 0 }),
  ];
}

/** Real US area codes and their states. */
export const AREA_CODES: ReadonlyArray<{ areaCode: string; state: string }> = [
  { areaCode: '205', state: 'Alabama' },
  { areaCode: '907', state: 'Alaska' },
  { areaCode: '602', state: 'Arizona' },
  { areaCode: '479', state: 'Arkansas' },
  { areaCode: '213', state: 'California' },
  { areaCode: '415', state: 'California' },
  { areaCode: '619', state: 'California' },
  { areaCode: '303', state: 'Colorado' },
  { areaCode: '203', state: 'Connecticut' },
  { areaCode: '302', state: 'Delaware' },
  { areaCode: '305', state: 'Florida' },
  { areaCode: '407', state: 'Florida' },
  { areaCode: '404', state: 'Georgia' },
  { areaCode: '808', state: 'Hawaii' },
  { areaCode: '208', state: 'Idaho' },
  { areaCode: '312', state: 'Illinois' },
  { areaCode: '317', state: 'Indiana' },
  { areaCode: '515', state: 'Iowa' },
  { areaCode: '502', state: 'Kentucky' },
  { areaCode: '504', state: 'Louisiana' },
  { areaCode: '301', state: 'Maryland' },
  { areaCode: '617', state: 'Massachusetts' },
  { areaCode: '313', state: 'Michigan' },
  { areaCode: '612', state: 'Minnesota' },
  { areaCode: '314', state: 'Missouri' },
  { areaCode: '702', state: 'Nevada' },
  { areaCode: '775', state: 'Nevada' },
  { areaCode: '201', state: 'New Jersey' },
  { areaCode: '212', state: 'New York' },
  { areaCode: '718', state: 'New York' },
  { areaCode: '704', state: 'North Carolina' },
  { areaCode: '614', state: 'Ohio' },
  { areaCode: '503', state: 'Oregon' },
  { areaCode: '215', state: 'Pennsylvania' },
  { areaCode: '615', state: 'Tennessee' },
  { areaCode: '512', state: 'Texas' },
  { areaCode: '713', state: 'Texas' },
  { areaCode: '214', state: 'Texas' },
  { areaCode: '801', state: 'Utah' },
  { areaCode: '206', state: 'Washington' },
];

/** Carriers the sandbox accepts in `carrierSelectOption`. */
export const CARRIERS = ['vz', 'tmo', 'att'] as const;

/** Surcharges for asking for a specific area code / carrier (the real API prices these flags). */
export const AREA_CODE_SURCHARGE_CENTS = 10;
export const CARRIER_SURCHARGE_CENTS = 10;

/** Price of every `test_*` scenario service (maxPrice below it → PricingFailure). */
export const MOCK_PRICE_CENTS = 75;

export type MockScenario =
  | 'test_success'
  | 'test_delayed_success'
  | 'test_pending'
  | 'test_reactivatable'
  | 'test_timeout'
  | 'test_insufficient_balance'
  | 'test_no_numbers'
  | 'test_too_many_unfinished_verifications';

export const MOCK_SCENARIOS: ReadonlySet<string> = new Set<MockScenario>([
  'test_success',
  'test_delayed_success',
  'test_pending',
  'test_reactivatable',
  'test_timeout',
  'test_insufficient_balance',
  'test_no_numbers',
  'test_too_many_unfinished_verifications',
]);

/** A fresh code in the service's format: `{ shown, parsed }` (`123-456` is parsed as `123456`). */
export function makeCode(
  format: SandboxService['codeFormat'],
  random: () => number,
): { shown: string; parsed: string } {
  const digits = (n: number) =>
    Array.from({ length: n }, (_, i) =>
      String(Math.floor(random() * (i === 0 ? 9 : 10)) + (i === 0 ? 1 : 0)),
    ).join('');
  switch (format) {
    case 'dashed6': {
      const d = digits(6);
      return { shown: `${d.slice(0, 3)}-${d.slice(3)}`, parsed: d };
    }
    case 'digits5': {
      const d = digits(5);
      return { shown: d, parsed: d };
    }
    case 'digits4': {
      const d = digits(4);
      return { shown: d, parsed: d };
    }
    case 'g6': {
      const d = digits(6);
      return { shown: `G-${d}`, parsed: d };
    }
    case 'fb8': {
      const d = digits(8);
      return { shown: d, parsed: d };
    }
    case 'alnum5': {
      const alphabet = 'BCDFGHJKMNPQRTVWXY2346789';
      const code = Array.from({ length: 5 }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      return { shown: code, parsed: code };
    }
    default: {
      const d = digits(6);
      return { shown: d, parsed: d };
    }
  }
}
