export { AddToCart } from './components/AddToCart'
export { useCartQuery } from './api'
export { CartPage } from './components/CartPage'
