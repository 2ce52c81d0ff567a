// The dashboard: its own side menu and pages, loaded only when an admin opens /admin.
import { NavLink, Route, Routes } from 'react-router'
import { NotFoundPage } from '../../app/pages/NotFoundPage'
import { ApiKeysPage } from './pages/ApiKeysPage'
import { AuditPage } from './pages/AuditPage'
import { CategoriesPage } from './pages/CategoriesPage'
import { ExperimentPage, ExperimentsPage } from './pages/ExperimentsPage'
import { ModelsPage } from './pages/ModelsPage'
import { AdminOrdersPage } from './pages/OrdersPage'
import { OverviewPage } from './pages/OverviewPage'
import { ProductsPage } from './pages/ProductsPage'
import { QualityPage } from './pages/QualityPage'
import { SearchAnalyticsPage } from './pages/SearchAnalyticsPage'
import { SegmentsPage } from './pages/SegmentsPage'
import { TrainingPage } from './pages/TrainingPage'
import { UsersPage } from './pages/UsersPage'

const MENU: [string, [string, string][]][] = [
  ['Analytics', [['', 'Overview'], ['quality', 'Recommendation quality'], ['search', 'Search'], ['segments', 'Segments']]],
  ['Models', [['models', 'Versions'], ['training', 'Training'], ['experiments', 'Experiments']]],
  ['Shop', [['products', 'Products'], ['categories', 'Categories'], ['orders', 'Orders'], ['users', 'Users'], ['api-keys', 'API keys'], ['audit', 'Audit log']]],
]

export default function AdminRoutes() {
  return (
    <div className="flex flex-col gap-6 lg:flex-row">
      <nav aria-label="Dashboard" className="lg:w-56 lg:shrink-0">
        <ul className="menu menu-sm menu-horizontal w-full rounded-box bg-base-100 lg:menu-vertical">
          {MENU.map(([group, items]) => (
            <li key={group}>
              <h2 className="menu-title">{group}</h2>
              <ul>
                {items.map(([path, label]) => (
                  <li key={path}>
                    <NavLink to={`/admin${path ? `/${path}` : ''}`} end className={({ isActive }) => (isActive ? 'menu-active' : '')}>
                      {label}
                    </NavLink>
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      </nav>
      <div className="min-w-0 flex-1">
        <Routes>
          <Route index element={<OverviewPage />} />
          <Route path="quality" element={<QualityPage />} />
          <Route path="search" element={<SearchAnalyticsPage />} />
          <Route path="segments" element={<SegmentsPage />} />
          <Route path="models" element={<ModelsPage />} />
          <Route path="training" element={<TrainingPage />} />
          <Route path="experiments" element={<ExperimentsPage />} />
          <Route path="experiments/:id" element={<ExperimentPage />} />
          <Route path="products" element={<ProductsPage />} />
          <Route path="categories" element={<CategoriesPage />} />
          <Route path="orders" element={<AdminOrdersPage />} />
          <Route path="users" element={<UsersPage />} />
          <Route path="api-keys" element={<ApiKeysPage />} />
          <Route path="audit" element={<AuditPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Routes>
      </div>
    </div>
  )
}
