import type { CategoryNode } from '../../../api/types'

export function CategoryTree({
  nodes,
  selected,
  onSelect,
}: {
  nodes: CategoryNode[]
  selected?: number
  onSelect: (id: number | undefined) => void
}) {
  return (
    <ul className="menu menu-sm w-full p-0">
      <li>
        <button type="button" className={selected === undefined ? 'menu-active' : ''} onClick={() => onSelect(undefined)}>
          All products
        </button>
      </li>
      {nodes.map((n) => (
        <Branch key={n.id} node={n} selected={selected} onSelect={onSelect} />
      ))}
    </ul>
  )
}

function Branch({ node, selected, onSelect }: { node: CategoryNode; selected?: number; onSelect: (id: number) => void }) {
  const button = (
    <button
      type="button"
      className={selected === node.id ? 'menu-active' : ''}
      aria-current={selected === node.id ? 'true' : undefined}
      onClick={() => onSelect(node.id)}
    >
      {node.name}
    </button>
  )
  if (!node.children.length) return <li>{button}</li>
  return (
    <li>
      {button}
      <ul>
        {node.children.map((c) => (
          <Branch key={c.id} node={c} selected={selected} onSelect={onSelect} />
        ))}
      </ul>
    </li>
  )
}
