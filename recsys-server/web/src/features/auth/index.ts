export { SignInPage } from './components/SignInPage'
export { RegisterPage } from './components/RegisterPage'
export { RequireAdmin, RequireAuth } from './components/RequireAuth'
export { useLogoutMutation, useMeQuery } from './api'
