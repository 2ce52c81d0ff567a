export { useOrdersQuery } from './api'
export { OrderPage } from './components/OrderPage'
export { OrdersPage } from './components/OrdersPage'
