import { fireEvent, render, screen } from '@testing-library/react'
import { expect, test, vi } from 'vitest'
import { Pager } from './Pager'

test('pages forward and back, and stops at the ends', () => {
  const onChange = vi.fn()
  const { rerender } = render(<Pager offset={0} limit={20} total={45} onChange={onChange} />)
  expect(screen.getByText('Page 1 of 3')).toBeDefined()
  expect((screen.getByRole('button', { name: '« Previous' }) as HTMLButtonElement).disabled).toBe(true)
  fireEvent.click(screen.getByRole('button', { name: 'Next »' }))
  expect(onChange).toHaveBeenCalledWith(20)
  rerender(<Pager offset={40} limit={20} total={45} onChange={onChange} />)
  expect((screen.getByRole('button', { name: 'Next »' }) as HTMLButtonElement).disabled).toBe(true)
  fireEvent.click(screen.getByRole('button', { name: '« Previous' }))
  expect(onChange).toHaveBeenLastCalledWith(20)
})

test('one page needs no pager', () => {
  const { container } = render(<Pager offset={0} limit={20} total={20} onChange={() => {}} />)
  expect(container.innerHTML).toBe('')
})
