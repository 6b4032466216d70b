import './styles.css'

import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'

import { App } from './App'
import { desktopApi, ElectronConnection } from './transport/electronConnection'
import { WebSocketConnection } from './transport/webSocketConnection'

const api = desktopApi()
const connection = api ? new ElectronConnection(api) : new WebSocketConnection()

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App connection={connection} />
  </StrictMode>
)
