import { lazy, Suspense } from 'react'
import { createBrowserRouter } from 'react-router'
import { Loading } from '../components/Status'
import { RegisterPage, RequireAdmin, RequireAuth, SignInPage } from '../features/auth'
import { CartPage } from '../features/cart'
import { CatalogPage, ProductPage, SearchPage } from '../features/catalog'
import { OrderPage, OrdersPage } from '../features/orders'
import { Layout } from './Layout'
import { HomePage } from './pages/HomePage'
import { NotFoundPage } from './pages/NotFoundPage'

// the dashboard and its charts load only for admins who open it: the storefront stays small
const AdminRoutes = lazy(() => import('../features/admin/AdminRoutes'))

export const routes = [
  {
    element: <Layout />,
    children: [
      { index: true, element: <HomePage /> },
      { path: 'catalog', element: <CatalogPage /> },
      { path: 'search', element: <SearchPage /> },
      { path: 'products/:id', element: <ProductPage /> },
      { path: 'login', element: <SignInPage /> },
      { path: 'register', element: <RegisterPage /> },
      { path: 'cart', element: <RequireAuth><CartPage /></RequireAuth> },
      { path: 'orders', element: <RequireAuth><OrdersPage /></RequireAuth> },
      { path: 'orders/:id', element: <RequireAuth><OrderPage /></RequireAuth> },
      {
        path: 'admin/*',
        element: (
          <RequireAdmin>
            <Suspense fallback={<Loading label="Loading the dashboard…" />}>
              <AdminRoutes />
            </Suspense>
          </RequireAdmin>
        ),
      },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
]

export const router = createBrowserRouter(routes)
