<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
  <context>
    <name>AppShell</name>
    <message>
      <location filename="../shell.py" line="130" />
      <source>Export as Markdown into a folder</source>
      <translation>导出为 Markdown（选择文件夹）</translation>
    </message>
    <message>
      <location filename="../shell.py" line="139" />
      <source>Export as JSON</source>
      <translation>导出为 JSON</translation>
    </message>
    <message>
      <location filename="../shell.py" line="148" />
      <source>Exported to %1</source>
      <translation>已导出到 %1</translation>
    </message>
  </context>
  <context>
    <name>ChatController</name>
    <message>
      <location filename="../controllers/chat.py" line="107" />
      <source>Incomplete: VisionDesk closed while this answer was being written.</source>
      <translation>未完成：生成此回答时 VisionDesk 已关闭。</translation>
    </message>
    <message>
      <location filename="../controllers/chat.py" line="111" />
      <source>Stopped.</source>
      <translation>已停止。</translation>
    </message>
    <message>
      <location filename="../controllers/chat.py" line="123" />
      <source>Images</source>
      <translation>图片</translation>
    </message>
    <message>
      <location filename="../controllers/chat.py" line="154" />
      <source>Waiting for the model…</source>
      <translation>正在等待模型…</translation>
    </message>
    <message>
      <location filename="../controllers/chat.py" line="207" />
      <source>Loading the model…</source>
      <translation>正在加载模型…</translation>
    </message>
    <message>
      <location filename="../controllers/chat.py" line="208" />
      <source>Looking at image %1 of %2…</source>
      <translation>正在查看第 %1 张图片（共 %2 张）…</translation>
    </message>
    <message>
      <location filename="../controllers/chat.py" line="209" />
      <source>Looking at the image…</source>
      <translation>正在查看图片…</translation>
    </message>
    <message>
      <location filename="../controllers/chat.py" line="210" />
      <source>Reading…</source>
      <translation>正在阅读…</translation>
    </message>
    <message>
      <location filename="../controllers/chat.py" line="211" />
      <source>Writing…</source>
      <translation>正在书写…</translation>
    </message>
  </context>
  <context>
    <name>ComposerController</name>
    <message>
      <location filename="../controllers/composer.py" line="103" />
      <source>Remove %1</source>
      <translation>移除 %1</translation>
    </message>
    <message>
      <location filename="../controllers/composer.py" line="123" />
      <source>Attach images</source>
      <translation>附加图片</translation>
    </message>
  </context>
  <context>
    <name>ConversationsController</name>
    <message>
      <location filename="../controllers/conversations.py" line="53" />
      <source>New chat</source>
      <translation>新对话</translation>
    </message>
    <message>
      <location filename="../controllers/conversations.py" line="108" />
      <source>Conversation deleted.</source>
      <translation>对话已删除。</translation>
    </message>
    <message>
      <location filename="../controllers/conversations.py" line="109" />
      <source>Undo</source>
      <translation>撤销</translation>
    </message>
    <message>
      <location filename="../controllers/conversations.py" line="110" />
      <source>Undo delete</source>
      <translation>撤销删除</translation>
    </message>
    <message>
      <location filename="../controllers/conversations.py" line="137" />
      <source>Rename</source>
      <translation>重命名</translation>
    </message>
    <message>
      <location filename="../controllers/conversations.py" line="138" />
      <source>Delete</source>
      <translation>删除</translation>
    </message>
  </context>
  <context>
    <name>DownloadRow</name>
    <message>
      <location filename="../views/model_manager_dialog.py" line="89" />
      <source>Pause</source>
      <translation>暂停</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="89" />
      <source>Resume</source>
      <translation>继续</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="90" />
      <source>Cancel</source>
      <translation>取消</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="93" />
      <source>Download progress of %1</source>
      <translation>%1 的下载进度</translation>
    </message>
  </context>
  <context>
    <name>MainWindow</name>
    <message>
      <location filename="../views/main_window.py" line="132" />
      <source>&amp;File</source>
      <translation>文件(&amp;F)</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="133" />
      <source>&amp;Chat</source>
      <translation>对话(&amp;C)</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="135" />
      <source>&amp;New chat</source>
      <translation>新对话(&amp;N)</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="136" />
      <source>&amp;Open GGUF files…</source>
      <translation>打开 GGUF 文件(&amp;O)…</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="137" />
      <source>&amp;Models…</source>
      <translation>模型(&amp;M)…</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="138" />
      <source>Export as &amp;Markdown…</source>
      <translation>导出为 Markdown(&amp;M)…</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="139" />
      <source>Export as &amp;JSON…</source>
      <translation>导出为 JSON(&amp;J)…</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="140" />
      <source>&amp;Settings…</source>
      <translation>设置(&amp;S)…</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="141" />
      <source>&amp;Quit</source>
      <translation>退出(&amp;Q)</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="142" />
      <source>&amp;Stop</source>
      <translation>停止(&amp;S)</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="143" />
      <source>&amp;Regenerate</source>
      <translation>重新生成(&amp;R)</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="147" />
      <location filename="../views/main_window.py" line="148" />
      <source>New chat</source>
      <translation>新对话</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="149" />
      <source>New chat (Ctrl+N)</source>
      <translation>新对话 (Ctrl+N)</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="150" />
      <location filename="../views/main_window.py" line="151" />
      <source>Search conversations</source>
      <translation>搜索对话</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="152" />
      <source>Conversations</source>
      <translation>对话列表</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="154" />
      <source>Ask about your images… (Enter sends, Shift+Enter for a new line)</source>
      <translation>询问关于图片的问题…（Enter 发送，Shift+Enter 换行）</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="155" />
      <source>Message</source>
      <translation>消息</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="156" />
      <location filename="../views/main_window.py" line="157" />
      <source>Attach images</source>
      <translation>附加图片</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="158" />
      <location filename="../views/main_window.py" line="159" />
      <source>Send</source>
      <translation>发送</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="160" />
      <location filename="../views/main_window.py" line="161" />
      <source>Stop</source>
      <translation>停止</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="162" />
      <source>Stop (Esc)</source>
      <translation>停止 (Esc)</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="163" />
      <source>Editing your last message. Sending replaces it and the answer.</source>
      <translation>正在编辑上一条消息。发送后将替换该消息及其回答。</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="164" />
      <location filename="../views/main_window.py" line="165" />
      <source>Cancel edit</source>
      <translation>取消编辑</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="166" />
      <source>Drop images here, paste them, or attach them, then ask a question.</source>
      <translation>将图片拖到这里、粘贴或附加，然后提问。</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="168" />
      <source>Conversation</source>
      <translation>对话</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="170" />
      <source>Welcome to VisionDesk</source>
      <translation>欢迎使用 VisionDesk</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="172" />
      <source>VisionDesk answers questions about your images with a vision-language model that runs entirely on this computer. To start, get a model or open GGUF files you already have (a model and, for images, its projector).</source>
      <translation>VisionDesk 使用完全在本机运行的视觉语言模型回答关于图片的问题。开始前，请获取一个模型，或打开已有的 GGUF 文件（模型文件，以及用于图片的投影器文件）。</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="175" />
      <source>Get a model…</source>
      <translation>获取模型…</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="176" />
      <source>Get a model</source>
      <translation>获取模型</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="177" />
      <source>Open GGUF files…</source>
      <translation>打开 GGUF 文件…</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="178" />
      <source>Open GGUF files</source>
      <translation>打开 GGUF 文件</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="179" />
      <source>Dismiss</source>
      <translation>关闭提示</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="142" />
      <source>&amp;Tools</source>
      <translation>工具(&amp;T)</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="153" />
      <source>&amp;Batch…</source>
      <translation>批量处理(&amp;B)…</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="154" />
      <source>Local &amp;API server…</source>
      <translation>本地 API 服务(&amp;A)…</translation>
    </message>
  </context>
  <context>
    <name>ModelController</name>
    <message>
      <location filename="../controllers/model.py" line="70" />
      <source>Loading %1…</source>
      <translation>正在加载 %1…</translation>
    </message>
    <message>
      <location filename="../controllers/model.py" line="95" />
      <source>Open a GGUF model and, for images, its projector</source>
      <translation>打开 GGUF 模型（如需识图，同时选择其投影器）</translation>
    </message>
    <message>
      <location filename="../controllers/model.py" line="105" />
      <source>Pick the model file too, not only the projector.</source>
      <translation>请同时选择模型文件，而不只是投影器。</translation>
    </message>
  </context>
  <context>
    <name>DownloadQueue</name>
    <message>
      <location filename="../controllers/download_queue.py" line="132" />
      <source>Checking…</source>
      <translation>正在检查…</translation>
    </message>
    <message>
      <location filename="../controllers/download_queue.py" line="218" />
      <source>Looking up the files…</source>
      <translation>正在查找文件…</translation>
    </message>
    <message>
      <location filename="../controllers/download_queue.py" line="237" />
      <source>Waiting</source>
      <translation>等待中</translation>
    </message>
    <message>
      <location filename="../controllers/download_queue.py" line="269" />
      <source>Downloading</source>
      <translation>正在下载</translation>
    </message>
    <message>
      <location filename="../controllers/download_queue.py" line="269" />
      <source>Paused</source>
      <translation>已暂停</translation>
    </message>
    <message>
      <location filename="../controllers/download_queue.py" line="270" />
      <source>Verifying…</source>
      <translation>正在校验…</translation>
    </message>
    <message>
      <location filename="../controllers/download_queue.py" line="270" />
      <source>Installed</source>
      <translation>已安装</translation>
    </message>
    <message>
      <location filename="../controllers/download_queue.py" line="271" />
      <source>Failed</source>
      <translation>失败</translation>
    </message>
    <message>
      <location filename="../controllers/download_queue.py" line="271" />
      <source>Cancelled</source>
      <translation>已取消</translation>
    </message>
    <message>
      <location filename="../controllers/download_queue.py" line="277" />
      <source>%1 of %2</source>
      <translation>%1 / %2</translation>
    </message>
    <message>
      <location filename="../controllers/download_queue.py" line="279" />
      <source>%1/s</source>
      <translation>%1/秒</translation>
    </message>
    <message>
      <location filename="../controllers/download_queue.py" line="281" />
      <source>%1 left</source>
      <translation>剩余 %1</translation>
    </message>
    <message>
      <location filename="../controllers/download_queue.py" line="290" />
      <source>Cancelled; the partial files were deleted.</source>
      <translation>已取消；未下载完的文件已删除。</translation>
    </message>
    <message>
      <location filename="../controllers/download_queue.py" line="295" />
      <source>Installed as %1.</source>
      <translation>已安装为 %1。</translation>
    </message>
  </context>
  <context>
    <name>ModelManagerController</name>
    <message>
      <location filename="../controllers/model_manager.py" line="98" />
      <source>photos</source>
      <translation>照片</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="98" />
      <source>documents</source>
      <translation>文档</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="98" />
      <source>general</source>
      <translation>通用</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="99" />
      <source>charts</source>
      <translation>图表</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="99" />
      <source>text in images (OCR)</source>
      <translation>图中文字（OCR）</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="100" />
      <source>small laptops</source>
      <translation>小型笔记本</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="105" />
      <source>Fits on the GPU</source>
      <translation>可完全在 GPU 上运行</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="105" />
      <source>Partly on the GPU</source>
      <translation>部分在 GPU 上运行</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="106" />
      <source>CPU only</source>
      <translation>仅 CPU</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="106" />
      <source>Too big</source>
      <translation>太大</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="118" />
      <source>Good at anything</source>
      <translation>全部用途</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="132" />
      <source>Checking…</source>
      <translation>正在检查…</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="141" />
      <source>Needs about %1 of memory; this machine has %2 of RAM and no usable GPU.</source>
      <translation>约需 %1 内存；本机有 %2 内存，没有可用的 GPU。</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="143" />
      <source>Needs about %1 of memory; this machine has %2 of RAM and %3 free on the GPU.</source>
      <translation>约需 %1 内存；本机有 %2 内存，GPU 可用 %3。</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="206" />
      <source>Type a repository as owner/name.</source>
      <translation>请按“所有者/名称”格式输入仓库。</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="326" />
      <source>Downloaded models use %1 of disk space.</source>
      <translation>已下载的模型占用 %1 磁盘空间。</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="357" />
      <source>Verifying %1…</source>
      <translation>正在校验 %1…</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="362" />
      <source>%1: all files match.</source>
      <translation>%1：所有文件均完好。</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="362" />
      <source>%1 is damaged: %2</source>
      <translation>%1 已损坏：%2</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="371" />
      <source>Remove %1 and delete its files (%2)?</source>
      <translation>移除 %1 并删除其文件（%2）？</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="372" />
      <source>Remove %1 from the list? Its files (%2) stay where they are.</source>
      <translation>从列表中移除 %1？其文件（%2）会保留在原处。</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="374" />
      <source>Remove model</source>
      <translation>移除模型</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="386" />
      <source>Removed %1; %2 freed.</source>
      <translation>已移除 %1；释放了 %2。</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="393" />
      <source>Import a GGUF model and, optionally, its projector</source>
      <translation>导入 GGUF 模型（可同时选择其投影器）</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="405" />
      <source>Pick the model file too, not only the projector.</source>
      <translation>请同时选择模型文件，而不只是投影器。</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="407" />
      <source>Importing %1…</source>
      <translation>正在导入 %1…</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="410" />
      <source>Imported %1.</source>
      <translation>已导入 %1。</translation>
    </message>
  </context>
  <context>
    <name>ModelManagerDialog</name>
    <message>
      <location filename="../views/model_manager_dialog.py" line="217" />
      <source>Models</source>
      <translation>模型</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="218" />
      <source>&amp;Catalog</source>
      <translation>模型目录(&amp;C)</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="218" />
      <source>&amp;Downloads</source>
      <translation>下载(&amp;D)</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="218" />
      <source>&amp;Installed</source>
      <translation>已安装(&amp;I)</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="220" />
      <source>Model manager sections</source>
      <translation>模型管理器分区</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="221" />
      <source>Search models</source>
      <translation>搜索模型</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="223" />
      <source>Good at</source>
      <translation>擅长</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="224" />
      <source>&amp;Fits this machine</source>
      <translation>适合本机(&amp;F)</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="225" />
      <source>Show only models that fit this machine</source>
      <translation>只显示适合本机的模型</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="227" />
      <source>Model</source>
      <translation>模型</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="227" />
      <source>Download size</source>
      <translation>下载大小</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="227" />
      <source>License</source>
      <translation>许可证</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="228" />
      <source>On this machine</source>
      <translation>在本机上</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="229" />
      <source>Catalog of vision models</source>
      <translation>视觉模型目录</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="230" />
      <source>About the selected model</source>
      <translation>所选模型简介</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="231" />
      <source>&amp;Quantization:</source>
      <translation>量化(&amp;Q)：</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="232" />
      <source>Quantization</source>
      <translation>量化</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="233" />
      <source>Do&amp;wnload</source>
      <translation>下载(&amp;W)</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="234" />
      <source>Download the selected model</source>
      <translation>下载所选模型</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="235" />
      <source>Or a Hugging Face &amp;repository:</source>
      <translation>或 Hugging Face 仓库(&amp;R)：</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="236" />
      <source>owner/name</source>
      <translation>所有者/名称</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="237" />
      <source>Hugging Face repository</source>
      <translation>Hugging Face 仓库</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="238" />
      <source>Download from the &amp;Hub</source>
      <translation>从 Hub 下载(&amp;H)</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="239" />
      <source>Download from the Hugging Face repository</source>
      <translation>从 Hugging Face 仓库下载</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="240" />
      <source>Nothing is downloading. Pick a model in the catalog.</source>
      <translation>当前没有下载。请在模型目录中选择一个模型。</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="241" />
      <source>Download queue</source>
      <translation>下载队列</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="243" />
      <source>Size</source>
      <translation>大小</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="243" />
      <source>Source</source>
      <translation>来源</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="243" />
      <source>Verified</source>
      <translation>校验时间</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="244" />
      <source>Installed models</source>
      <translation>已安装的模型</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="245" />
      <source>&amp;Use this model</source>
      <translation>使用此模型(&amp;U)</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="246" />
      <source>Use this model</source>
      <translation>使用此模型</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="247" />
      <source>&amp;Verify again</source>
      <translation>重新校验(&amp;V)</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="248" />
      <source>Verify again</source>
      <translation>重新校验</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="249" />
      <source>&amp;Remove…</source>
      <translation>移除(&amp;R)…</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="250" />
      <source>Remove</source>
      <translation>移除</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="251" />
      <source>Import &amp;GGUF files…</source>
      <translation>导入 GGUF 文件(&amp;G)…</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="252" />
      <source>Import GGUF files</source>
      <translation>导入 GGUF 文件</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="253" />
      <source>Disk use</source>
      <translation>磁盘占用</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="254" />
      <source>Status</source>
      <translation>状态</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="256" />
      <source>Close</source>
      <translation>关闭</translation>
    </message>
  </context>
  <context>
    <name>SettingsController</name>
    <message>
      <location filename="../controllers/settings.py" line="96" />
      <source>Choose a GGUF file</source>
      <translation>选择 GGUF 文件</translation>
    </message>
  </context>
  <context>
    <name>SettingsDialog</name>
    <message>
      <location filename="../controllers/settings.py" line="64" />
      <source>Temperature, top p, max tokens, context size and the system prompt can be remembered per model.</source>
      <translation>温度、top p、最大 token 数、上下文长度和系统提示词可以按模型分别保存。</translation>
    </message>
    <message>
      <location filename="../controllers/settings.py" line="116" />
      <source>Choose a model first.</source>
      <translation>请先选择模型。</translation>
    </message>
    <message>
      <location filename="../controllers/settings.py" line="121" />
      <source>Saved as the preset for %1.</source>
      <translation>已保存为 %1 的预设。</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="105" />
      <source>Settings</source>
      <translation>设置</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="106" />
      <source>&amp;Model file</source>
      <translation>模型文件(&amp;M)</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="106" />
      <source>&amp;Projector (mmproj)</source>
      <translation>投影器 (mmproj)(&amp;P)</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="106" />
      <source>S&amp;ystem prompt</source>
      <translation>系统提示词(&amp;Y)</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="107" />
      <source>&amp;Temperature</source>
      <translation>温度(&amp;T)</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="107" />
      <source>Top &amp;p</source>
      <translation>Top &amp;p</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="107" />
      <source>Ma&amp;x tokens</source>
      <translation>最大 token 数(&amp;X)</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="108" />
      <source>&amp;Context size</source>
      <translation>上下文长度(&amp;C)</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="108" />
      <source>&amp;GPU layers</source>
      <translation>GPU 层数(&amp;G)</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="108" />
      <source>T&amp;hreads</source>
      <translation>线程数(&amp;H)</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="109" />
      <source>Th&amp;eme</source>
      <translation>主题(&amp;E)</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="109" />
      <source>&amp;Language</source>
      <translation>语言(&amp;L)</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="114" />
      <source>Browse…</source>
      <translation>浏览…</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="115" />
      <source>Model file</source>
      <translation>模型文件</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="116" />
      <source>Browse for the model file</source>
      <translation>浏览模型文件</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="117" />
      <source>Projector file</source>
      <translation>投影器文件</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="118" />
      <source>Browse for the projector file</source>
      <translation>浏览投影器文件</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="119" />
      <source>None: text only</source>
      <translation>无：仅文本</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="120" />
      <location filename="../views/settings_dialog.py" line="125" />
      <source>Automatic</source>
      <translation>自动</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="121" />
      <source>GPU offload mode</source>
      <translation>GPU 卸载方式</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="122" />
      <source>Number of GPU layers</source>
      <translation>GPU 层数</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="123" />
      <source>Save as preset for this model</source>
      <translation>保存为此模型的预设</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="125" />
      <source>Number of layers</source>
      <translation>指定层数</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="126" />
      <source>CPU only</source>
      <translation>仅 CPU</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="127" />
      <source>System</source>
      <translation>跟随系统</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="127" />
      <source>Light</source>
      <translation>浅色</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="127" />
      <source>Dark</source>
      <translation>深色</translation>
    </message>
  </context>
  <context>
    <name>TranscriptPresenter</name>
    <message>
      <location filename="../controllers/transcript.py" line="119" />
      <location filename="../controllers/transcript.py" line="165" />
      <source>Copy</source>
      <translation>复制</translation>
    </message>
    <message>
      <location filename="../controllers/transcript.py" line="139" />
      <source>First token %1 ms</source>
      <translation>首个 token %1 毫秒</translation>
    </message>
    <message>
      <location filename="../controllers/transcript.py" line="141" />
      <source>%1 tokens/s</source>
      <translation>%1 token/秒</translation>
    </message>
    <message>
      <location filename="../controllers/transcript.py" line="143" />
      <source>%1 tokens</source>
      <translation>%1 个 token</translation>
    </message>
    <message>
      <location filename="../controllers/transcript.py" line="164" />
      <source>You</source>
      <translation>你</translation>
    </message>
    <message>
      <location filename="../controllers/transcript.py" line="164" />
      <source>Assistant</source>
      <translation>助手</translation>
    </message>
    <message>
      <location filename="../controllers/transcript.py" line="165" />
      <source>Edit</source>
      <translation>编辑</translation>
    </message>
    <message>
      <location filename="../controllers/transcript.py" line="165" />
      <source>Regenerate</source>
      <translation>重新生成</translation>
    </message>
  </context>
  <context>
    <name>AnswerFormatBox</name>
    <message>
      <location filename="../views/answer_format.py" line="35" />
      <source>Answer &amp;format:</source>
      <translation>回答格式(&amp;F)：</translation>
    </message>
    <message>
      <location filename="../views/answer_format.py" line="1" />
      <source>Answer format</source>
      <translation>回答格式</translation>
    </message>
    <message>
      <location filename="../views/answer_format.py" line="37" />
      <source>Free text, or JSON: any object, or the fields of a task preset. Kept for this conversation.</source>
      <translation>自由文本，或 JSON：任意对象，或某个任务预设的字段。此设置随本对话保存。</translation>
    </message>
  </context>
  <context>
    <name>AnswerFormatController</name>
    <message>
      <location filename="../controllers/answer_format.py" line="49" />
      <source>Free text</source>
      <translation>自由文本</translation>
    </message>
    <message>
      <location filename="../controllers/answer_format.py" line="50" />
      <source>JSON object</source>
      <translation>JSON 对象</translation>
    </message>
    <message>
      <location filename="../controllers/answer_format.py" line="62" />
      <source>JSON: %1</source>
      <translation>JSON：%1</translation>
    </message>
  </context>
  <context>
    <name>ApiServerPage</name>
    <message>
      <location filename="../views/api_server_page.py" line="84" />
      <source>Local API server</source>
      <translation>本地 API 服务</translation>
    </message>
    <message>
      <location filename="../views/api_server_page.py" line="86" />
      <source>Scripts and other programs on this computer can use the model loaded in this window through an OpenAI-compatible API. It listens on 127.0.0.1 only; requests wait their turn with your own questions.</source>
      <translation>本机上的脚本和其他程序可以通过 OpenAI 兼容的 API 使用此窗口中加载的模型。它只监听 127.0.0.1；请求会与您自己的提问依次排队。</translation>
    </message>
    <message>
      <location filename="../views/api_server_page.py" line="89" />
      <source>&amp;Serve the loaded model</source>
      <translation>提供已加载的模型(&amp;S)</translation>
    </message>
    <message>
      <location filename="../views/api_server_page.py" line="90" />
      <source>&amp;Port</source>
      <translation>端口(&amp;P)</translation>
    </message>
    <message>
      <location filename="../views/api_server_page.py" line="92" />
      <source>API &amp;key</source>
      <translation>API 密钥(&amp;K)</translation>
    </message>
    <message>
      <location filename="../views/api_server_page.py" line="94" />
      <source>None: any program on this computer may call it</source>
      <translation>无：本机上的任何程序都可以调用</translation>
    </message>
    <message>
      <location filename="../views/api_server_page.py" line="95" />
      <source>API key</source>
      <translation>API 密钥</translation>
    </message>
    <message>
      <location filename="../views/api_server_page.py" line="96" />
      <source>Generate</source>
      <translation>生成</translation>
    </message>
    <message>
      <location filename="../views/api_server_page.py" line="97" />
      <source>Base URL</source>
      <translation>基础 URL</translation>
    </message>
    <message>
      <location filename="../views/api_server_page.py" line="99" />
      <source>Copy</source>
      <translation>复制</translation>
    </message>
    <message>
      <location filename="../views/api_server_page.py" line="100" />
      <source>Copy the base URL</source>
      <translation>复制基础 URL</translation>
    </message>
    <message>
      <location filename="../views/api_server_page.py" line="101" />
      <source>Recent requests</source>
      <translation>最近的请求</translation>
    </message>
    <message>
      <location filename="../views/api_server_page.py" line="102" />
      <source>Time</source>
      <translation>时间</translation>
    </message>
    <message>
      <location filename="../views/api_server_page.py" line="102" />
      <source>Client</source>
      <translation>客户端</translation>
    </message>
    <message>
      <location filename="../views/api_server_page.py" line="102" />
      <source>Status</source>
      <translation>状态</translation>
    </message>
    <message>
      <location filename="../views/api_server_page.py" line="103" />
      <source>Outcome</source>
      <translation>结果</translation>
    </message>
    <message>
      <location filename="../views/api_server_page.py" line="103" />
      <source>Tokens</source>
      <translation>词元</translation>
    </message>
    <message>
      <location filename="../views/api_server_page.py" line="86" />
      <source>ms</source>
      <translation>毫秒</translation>
    </message>
  </context>
  <context>
    <name>ApiServerController</name>
    <message>
      <location filename="../controllers/api_server.py" line="172" />
      <source>Switching…</source>
      <translation>正在切换…</translation>
    </message>
    <message>
      <location filename="../controllers/api_server.py" line="174" />
      <source>Off.</source>
      <translation>已关闭。</translation>
    </message>
    <message>
      <location filename="../controllers/api_server.py" line="176" />
      <source>On, but no model is loaded: requests are refused until one is.</source>
      <translation>已开启，但尚未加载模型：加载模型之前请求会被拒绝。</translation>
    </message>
    <message>
      <location filename="../controllers/api_server.py" line="85" />
      <source>Port %1 is in use by another program; choose another port.</source>
      <translation>端口 %1 已被其他程序占用；请选择其他端口。</translation>
    </message>
    <message>
      <location filename="../controllers/api_server.py" line="178" />
      <source>On: serving %1 at %2</source>
      <translation>已开启：在 %2 提供 %1</translation>
    </message>
  </context>
  <context>
    <name>BatchPage</name>
    <message>
      <location filename="../views/batch_page.py" line="1" />
      <source>Batch</source>
      <translation>批量处理</translation>
    </message>
    <message>
      <location filename="../views/batch_page.py" line="104" />
      <source>Drop a folder of images here, or choose one. Every image is asked the preset's question; the answers fill the table and a result file.</source>
      <translation>将图片文件夹拖放到这里，或选择一个文件夹。每张图片都会被问到预设的问题；回答会填入表格和结果文件。</translation>
    </message>
    <message>
      <location filename="../views/batch_page.py" line="106" />
      <source>Folder</source>
      <translation>文件夹</translation>
    </message>
    <message>
      <location filename="../views/batch_page.py" line="107" />
      <source>Choose folder…</source>
      <translation>选择文件夹…</translation>
    </message>
    <message>
      <location filename="../views/batch_page.py" line="108" />
      <source>Choose a folder of images</source>
      <translation>选择图片文件夹</translation>
    </message>
    <message>
      <location filename="../views/batch_page.py" line="109" />
      <source>&amp;Task</source>
      <translation>任务(&amp;T)</translation>
    </message>
    <message>
      <location filename="../views/batch_page.py" line="110" />
      <source>&amp;Model</source>
      <translation>模型(&amp;M)</translation>
    </message>
    <message>
      <location filename="../views/batch_page.py" line="112" />
      <source>The batch uses the model loaded in the window, so it takes no extra memory; a question you ask in the window meanwhile waits for the image being answered.</source>
      <translation>批量处理使用窗口中已加载的模型，因此不占用额外内存；在此期间您在窗口中的提问会等待当前图片回答完毕。</translation>
    </message>
    <message>
      <location filename="../views/batch_page.py" line="114" />
      <source>&amp;Run</source>
      <translation>运行(&amp;R)</translation>
    </message>
    <message>
      <location filename="../views/batch_page.py" line="114" />
      <source>&amp;Pause</source>
      <translation>暂停(&amp;P)</translation>
    </message>
    <message>
      <location filename="../views/batch_page.py" line="115" />
      <source>R&amp;esume</source>
      <translation>继续(&amp;E)</translation>
    </message>
    <message>
      <location filename="../views/batch_page.py" line="115" />
      <source>&amp;Cancel</source>
      <translation>取消(&amp;C)</translation>
    </message>
    <message>
      <location filename="../views/batch_page.py" line="116" />
      <source>Export &amp;CSV…</source>
      <translation>导出 CSV(&amp;C)…</translation>
    </message>
    <message>
      <location filename="../views/batch_page.py" line="117" />
      <source>Export &amp;JSON Lines…</source>
      <translation>导出 JSON Lines(&amp;J)…</translation>
    </message>
    <message>
      <location filename="../views/batch_page.py" line="119" />
      <source>Image</source>
      <translation>图片</translation>
    </message>
    <message>
      <location filename="../views/batch_page.py" line="119" />
      <source>Status</source>
      <translation>状态</translation>
    </message>
    <message>
      <location filename="../views/batch_page.py" line="119" />
      <source>Answer</source>
      <translation>回答</translation>
    </message>
    <message>
      <location filename="../views/batch_page.py" line="120" />
      <source>Seconds</source>
      <translation>秒</translation>
    </message>
    <message>
      <location filename="../views/batch_page.py" line="121" />
      <source>Results</source>
      <translation>结果</translation>
    </message>
  </context>
  <context>
    <name>BatchController</name>
    <message>
      <location filename="../controllers/batch.py" line="124" />
      <source>Choose a folder of images</source>
      <translation>选择图片文件夹</translation>
    </message>
    <message>
      <location filename="../controllers/batch.py" line="320" />
      <source>Export as CSV</source>
      <translation>导出为 CSV</translation>
    </message>
    <message>
      <location filename="../controllers/batch.py" line="320" />
      <source>Export as JSON Lines</source>
      <translation>导出为 JSON Lines</translation>
    </message>
    <message>
      <location filename="../controllers/batch.py" line="119" />
      <source>No model is loaded: load one in the window first</source>
      <translation>尚未加载模型：请先在窗口中加载</translation>
    </message>
    <message>
      <location filename="../controllers/batch.py" line="119" />
      <source>No model is loaded: load one in the window first.</source>
      <translation>尚未加载模型：请先在窗口中加载。</translation>
    </message>
    <message>
      <location filename="../controllers/batch.py" line="57" />
      <source>done</source>
      <translation>完成</translation>
    </message>
    <message>
      <location filename="../controllers/batch.py" line="244" />
      <source>error</source>
      <translation>错误</translation>
    </message>
    <message>
      <location filename="../controllers/batch.py" line="244" />
      <source>done before</source>
      <translation>之前已完成</translation>
    </message>
    <message>
      <location filename="../controllers/batch.py" line="245" />
      <source>duplicate</source>
      <translation>重复</translation>
    </message>
    <message>
      <location filename="../controllers/batch.py" line="147" />
      <source>waiting</source>
      <translation>等待中</translation>
    </message>
    <message>
      <location filename="../controllers/batch.py" line="153" />
      <source>There are no images in %1.</source>
      <translation>%1 中没有图片。</translation>
    </message>
    <message>
      <location filename="../controllers/batch.py" line="334" />
      <source>Exported %1 rows to %2</source>
      <translation>已导出 %1 行到 %2</translation>
    </message>
    <message>
      <location filename="../controllers/batch.py" line="279" />
      <source>%1 of %2 images: %3 answered, %4 failed, %5 answered before</source>
      <translation>%2 张图片中的 %1 张：%3 张已回答，%4 张失败，%5 张之前已回答</translation>
    </message>
  </context>
</TS>