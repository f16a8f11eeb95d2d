import './styles.css';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode, Suspense, lazy } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Route, Routes } from 'react-router';
import { ApiError } from './api';
import { AppLayout, PublicLayout } from './components/layout';
import { Spinner } from './components/ui';
import { Landing } from './pages/landing';

// Every other page is its own chunk: the first load carries the shell and the landing page only.
const Pricing = lazy(() => import('./pages/pricing'));
const Register = lazy(() => import('./pages/register'));
const Login = lazy(() => import('./pages/login'));
const ConfirmEmail = lazy(() => import('./pages/confirm-email'));
const ForgotPassword = lazy(() => import('./pages/forgot-password'));
const ResetPassword = lazy(() => import('./pages/reset-password'));
const Dashboard = lazy(() => import('./pages/dashboard'));
const Verify = lazy(() => import('./pages/verify'));
const History = lazy(() => import('./pages/history'));
const WalletPage = lazy(() => import('./pages/wallet'));
const ApiKeys = lazy(() => import('./pages/api-keys'));
const Plans = lazy(() => import('./pages/plans'));
const Webhooks = lazy(() => import('./pages/webhooks'));
const Settings = lazy(() => import('./pages/settings'));
const NotFound = lazy(() => import('./pages/not-found'));
const Admin = lazy(() => import('./pages/admin'));

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A rate limit or a short outage is waited out (as the server says, at most 30 s a time);
      // another refusal is final.
      retry: (count, error) =>
        error instanceof ApiError && error.transient ? count < 4 : !(error instanceof ApiError) && count < 2,
      retryDelay: (count, error) =>
        error instanceof ApiError && error.retryAfterSeconds !== undefined
          ? Math.min(error.retryAfterSeconds, 30) * 1000
          : Math.min(1000 * 2 ** count, 30_000),
      refetchOnWindowFocus: true,
    },
  },
});

function App() {
  return (
    <Suspense fallback={<Spinner />}>
      <Routes>
        <Route element={<PublicLayout />}>
          <Route index element={<Landing />} />
          <Route path="pricing" element={<Pricing />} />
          <Route path="register" element={<Register />} />
          <Route path="login" element={<Login />} />
          <Route path="confirm-email" element={<ConfirmEmail />} />
          <Route path="forgot-password" element={<ForgotPassword />} />
          <Route path="reset-password" element={<ResetPassword />} />
        </Route>
        <Route element={<AppLayout />}>
          <Route path="dashboard" element={<Dashboard />} />
          <Route path="verify" element={<Verify />} />
          <Route path="history" element={<History />} />
          <Route path="wallet" element={<WalletPage />} />
          <Route path="plans" element={<Plans />} />
          <Route path="api-keys" element={<ApiKeys />} />
          <Route path="webhooks" element={<Webhooks />} />
          <Route path="settings/*" element={<Settings />} />
          <Route path="admin/*" element={<Admin />} />
        </Route>
        <Route element={<PublicLayout />}>
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </Suspense>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <App />
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
);
