import type { Money } from '../api';
import { formatDate, formatMoney } from '../money';

/** One line of a wallet statement (`GET /api/v1/wallet/statement` and the admin's view of it). */
export interface StatementLine {
  id: string;
  type: string;
  amount: Money;
  balanceAfter: Money;
  memo: string;
  reference: string | null;
  createdAt: string;
}

/** A statement as a table: the person's /wallet and an admin's view of a user's ledger. */
export function StatementTable({ lines, className }: { lines: StatementLine[]; className: string }) {
  return (
    <table className={`table ${className}`}>
      <caption className="visually-hidden">Statement</caption>
      <thead>
        <tr>
          <th scope="col">Date</th>
          <th scope="col">Type</th>
          <th scope="col">Description</th>
          <th scope="col" className="num">
            Amount
          </th>
          <th scope="col" className="num">
            Balance
          </th>
        </tr>
      </thead>
      <tbody>
        {lines.map((line) => (
          <tr key={line.id} data-type={line.type}>
            <td>{formatDate(line.createdAt)}</td>
            <td>
              <span className={`badge badge-line-${line.type}`}>{line.type}</span>
            </td>
            <td className="wrap">{line.memo}</td>
            <td className={`num ${line.amount.amount > 0 ? 'positive' : ''}`}>
              {line.amount.amount > 0 ? '+' : ''}
              {formatMoney(line.amount)}
            </td>
            <td className="num">{formatMoney(line.balanceAfter)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
