import { useEffect, useState } from 'react';

/**
 * The otpauth URI as a QR code for an authenticator app to scan: an image from a data URL (the CSP
 * allows `data:` images, no inline script or style), drawn by the `qrcode` package loaded on
 * demand so the first page load does not carry it.
 */
export function QrCode({ value, label }: { value: string; label: string }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    void import('qrcode')
      .then((qr) => qr.toDataURL(value, { margin: 1, width: 192, errorCorrectionLevel: 'M' }))
      .then((url) => current && setSrc(url))
      .catch(() => current && setSrc(null));
    return () => {
      current = false;
    };
  }, [value]);
  if (!src) return null;
  return <img className="qr-code" src={src} width={192} height={192} alt={label} />;
}
