import { Link } from 'react-router';

export default function NotFound() {
  return (
    <section className="container narrow center-block">
      <h1>Page not found</h1>
      <p className="muted">The page you asked for does not exist.</p>
      <Link to="/" className="button button-primary">
        Go to the home page
      </Link>
    </section>
  );
}
